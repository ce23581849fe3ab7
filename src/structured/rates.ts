/**
 * Pruning rates: how many channels a group keeps, which ones (top scores), per-group rate lists
 * and their "[0.5]*7+[0.95]*5" expressions.
 */
import { prunableGroups, type ChannelGraph } from './graph.js';
import { DECIMAL_PREFIX } from '../util/number-text.js';

/** Most rates an expression may expand to (far more than any network has channel groups). */
export const MAX_RATES = 10_000;

/** Per-group rate: a single number for every prunable group, a list in prunable-group order
 * (shorter lists leave the remaining groups unpruned), an expression string, or rates keyed by a
 * producer layer name. */
export type RateSpec = number | readonly number[] | string | Readonly<Record<string, number>>;

function checkRate(r: number, where: string): number {
  if (!Number.isFinite(r) || r < 0 || r >= 1) throw new Error(`${where}: a pruning rate must be in [0, 1), got ${r}`);
  return r;
}

/** Channels kept at rate r: floor(C·(1 − r)) as in the reference code, at least 1. */
export function keepCount(channels: number, rate: number): number {
  checkRate(rate, 'keepCount');
  return Math.max(1, Math.floor(channels * (1 - rate)));
}

/**
 * Kept channels for scores at a rate: the keepCount(C, r) highest scores (ties: lower index
 * first), returned sorted by index.
 */
export function selectTop(scores: ArrayLike<number>, rate: number): Int32Array {
  const n = scores.length;
  const k = keepCount(n, rate);
  for (let i = 0; i < n; i++) if (Number.isNaN(scores[i])) throw new Error(`selectTop: score ${i} is NaN`);
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => scores[b] - scores[a] || a - b);
  return Int32Array.from(order.slice(0, k).sort((a, b) => a - b));
}

/**
 * Parses a rate-list expression: terms joined by '+', each a bracketed list optionally repeated
 * ("[0.5]*7+[0.95]*5", "[0.1,0.2]*2+[0.3]") or a bare number ("0.5" → [0.5]).
 */
export function parseRateExpression(expr: string): number[] {
  const src = expr.replace(/\s+/g, '');
  if (src === '') throw new Error('rate expression is empty; write e.g. "[0.5]*7+[0.95]*5"');
  const out: number[] = [];
  let i = 0;
  const fail = (what: string): never => {
    throw new Error(`rate expression "${expr}": ${what} at position ${i}; write e.g. "[0.5]*7+[0.95]*5"`);
  };
  const readNumber = (): number => {
    const m = DECIMAL_PREFIX.exec(src.slice(i));
    if (!m) return fail('expected a number');
    i += m[0].length;
    return Number(m[0]);
  };
  for (;;) {
    let items: number[];
    if (src[i] === '[') {
      i++;
      items = [readNumber()];
      while (src[i] === ',') {
        i++;
        items.push(readNumber());
      }
      if (src[i] !== ']') fail("expected ']'");
      i++;
    } else {
      items = [readNumber()];
    }
    let times = 1;
    if (src[i] === '*') {
      i++;
      const at = i;
      times = readNumber();
      if (!Number.isInteger(times) || times < 0) fail('repeat count must be a non-negative integer');
      if (out.length + times * items.length > MAX_RATES) {
        i = at;
        fail(`repeat count ${src.slice(at).split(/[+*]/)[0]} gives more than ${MAX_RATES} rates`);
      }
    }
    for (let t = 0; t < times; t++) out.push(...items);
    if (i === src.length) break;
    if (src[i] !== '+') fail("expected '+'");
    i++;
  }
  out.forEach((r) => checkRate(r, `rate expression "${expr}"`));
  return out;
}

/** Resolves a rate spec to a rate per prunable group id (groups absent: unpruned). */
export function resolveRates(graph: ChannelGraph, spec: RateSpec): Map<number, number> {
  const groups = prunableGroups(graph);
  const out = new Map<number, number>();
  if (typeof spec === 'string') {
    const list = parseRateExpression(spec);
    const bare = /^\s*[\d.eE-]+\s*$/.test(spec);
    return resolveRates(graph, bare ? list[0] : list);
  }
  if (typeof spec === 'number') {
    checkRate(spec, 'rates');
    for (const g of groups) out.set(g.id, spec);
  } else if (Array.isArray(spec)) {
    const list = spec as readonly number[];
    if (list.length > groups.length) {
      throw new Error(
        `rates: ${list.length} rates given but the model has ${groups.length} prunable channel groups (${groups.map((g) => g.producers.join('+')).join(', ')})`,
      );
    }
    list.forEach((r, i) => out.set(groups[i].id, checkRate(r, `rates[${i}]`)));
  } else {
    const byProducer = new Map<string, number>();
    for (const g of graph.groups) for (const p of g.producers) byProducer.set(p, g.id);
    for (const [name, r] of Object.entries(spec as Record<string, number>)) {
      const id = byProducer.get(name);
      if (id === undefined) throw new Error(`rates: '${name}' is not a Conv2D/Dense layer of the model`);
      const g = graph.groups[id];
      if (!g.prunable && r > 0) throw new Error(`rates: '${name}' cannot be pruned: ${g.fixedReason}`);
      const prev = out.get(id);
      if (prev !== undefined && prev !== r) throw new Error(`rates: '${name}' shares its channels with ${g.producers.join(', ')} and gets a different rate`);
      if (g.prunable) out.set(id, checkRate(r, `rates['${name}']`));
    }
  }
  return out;
}
