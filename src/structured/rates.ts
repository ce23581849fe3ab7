/**
 * Pruning rates: how many channels a group keeps, which ones (top scores), per-group rate lists
 * and their "[0.5]*7+[0.95]*5" expressions, and the practitioners' constraints on them
 * (Torch-Pruning's MetaPruner: ignored layers, a per-group maximum rate, kept channels rounded to a
 * multiple of N). methods.md §4.3: keep = floor(C·(1 − r)), the highest scores, re-sorted by index.
 */
import { prunableGroups, type ChannelGraph, type ChannelGroup } from './graph.js';
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

function checkRoundTo(roundTo: number): number {
  if (!Number.isInteger(roundTo) || roundTo < 1) throw new Error(`roundTo must be a positive integer, got ${roundTo}`);
  return roundTo;
}

/**
 * A kept-channel count rounded UP to a multiple of `roundTo` (Torch-Pruning's round_to), at least
 * 1 and never above the group's `channels` (a group narrower than the next multiple stays whole).
 */
export function roundKeep(channels: number, keep: number, roundTo = 1): number {
  const n = checkRoundTo(roundTo);
  return Math.min(channels, Math.max(1, Math.ceil(keep / n) * n));
}

/** Channels kept at rate r: floor(C·(1 − r)) as in the reference code, at least 1, rounded up to a multiple of roundTo. */
export function keepCount(channels: number, rate: number, roundTo = 1): number {
  checkRate(rate, 'keepCount');
  return roundKeep(channels, Math.max(1, Math.floor(channels * (1 - rate))), roundTo);
}

/** Indices of the `k` highest scores (ties: lower index first), sorted by index. */
export function selectTopCount(scores: ArrayLike<number>, k: number): Int32Array {
  const n = scores.length;
  if (!Number.isInteger(k) || k < 1 || k > n) throw new Error(`selectTopCount: cannot keep ${k} of ${n} channels`);
  for (let i = 0; i < n; i++) if (Number.isNaN(scores[i])) throw new Error(`selectTop: score ${i} is NaN`);
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => scores[b] - scores[a] || a - b);
  return Int32Array.from(order.slice(0, k).sort((a, b) => a - b));
}

/**
 * Kept channels for scores at a rate: the keepCount(C, r) highest scores (ties: lower index
 * first), returned sorted by index.
 */
export function selectTop(scores: ArrayLike<number>, rate: number): Int32Array {
  return selectTopCount(scores, keepCount(scores.length, rate));
}

/** Constraints every rule honours (uniform rates, rate lists, budgets, global ranking). */
export interface RateConstraints {
  /** Layers whose output channels are never pruned (their whole channel group stays). */
  ignore?: readonly string[];
  /** No group loses more than this fraction of its channels: it keeps ≥ keepCount(C, maxRate). */
  maxRate?: number;
  /** Kept channels per group are rounded up to a multiple of this (default 1). */
  roundTo?: number;
  /**
   * Lower bound on kept channels, keyed by a producer layer of the group (iterative pruning uses
   * it to carry the first model's maxRate bound to the narrower models of later steps).
   */
  minWidths?: Readonly<Record<string, number>>;
}

/** A group that a rule may narrow, with the fewest channels it may keep. */
export interface GroupBound {
  group: ChannelGroup;
  /** Fewest channels kept (≥ 1, from maxRate / minWidths). */
  min: number;
}

/** The producer layer → group id map of a graph. */
function groupOfProducer(graph: ChannelGraph): Map<string, number> {
  const m = new Map<string, number>();
  for (const g of graph.groups) for (const p of g.producers) m.set(p, g.id);
  return m;
}

/** Ids of the groups whose producers are named in `ignore`; unknown or non-producer names are errors. */
export function ignoredGroups(graph: ChannelGraph, ignore: readonly string[] = []): Set<number> {
  const byProducer = groupOfProducer(graph);
  const out = new Set<number>();
  for (const name of ignore) {
    const id = byProducer.get(name);
    if (id !== undefined) {
      out.add(id);
      continue;
    }
    if (graph.byName.has(name)) {
      throw new Error(
        `ignore: layer '${name}' (${graph.byName.get(name)!.className}) does not produce channels of its own; name the layer that does ` +
          `(channel producers: ${[...byProducer.keys()].join(', ')})`,
      );
    }
    throw new Error(`ignore: the model has no layer '${name}' (channel producers: ${[...byProducer.keys()].join(', ')})`);
  }
  return out;
}

/** Checks the constraint values (not the names; see groupBounds). */
export function checkConstraints(c: RateConstraints): void {
  if (c.maxRate !== undefined) checkRate(c.maxRate, 'maxRate');
  if (c.roundTo !== undefined) checkRoundTo(c.roundTo);
}

/**
 * The groups a rule may narrow (prunable, not ignored), in id order, with their lower bounds:
 * max(keepCount(C, maxRate, roundTo), minWidths of any of its producers).
 */
export function groupBounds(graph: ChannelGraph, c: RateConstraints = {}): GroupBound[] {
  checkConstraints(c);
  const ignored = ignoredGroups(graph, c.ignore);
  const byProducer = groupOfProducer(graph);
  const mins = new Map<number, number>();
  for (const [name, w] of Object.entries(c.minWidths ?? {})) {
    const id = byProducer.get(name);
    if (id === undefined) throw new Error(`minWidths: '${name}' is not a channel producer of the model`);
    if (!Number.isInteger(w) || w < 1) throw new Error(`minWidths['${name}'] must be a positive integer, got ${w}`);
    mins.set(id, Math.max(mins.get(id) ?? 1, w));
  }
  return prunableGroups(graph)
    .filter((g) => !ignored.has(g.id))
    .map((g) => {
      const fromRate = c.maxRate !== undefined ? keepCount(g.channels, c.maxRate, c.roundTo) : 1;
      return { group: g, min: Math.min(g.channels, Math.max(fromRate, mins.get(g.id) ?? 1)) };
    });
}

/** Kept width of a bounded group for a raw kept count: at least its bound, rounded up to roundTo. */
export function boundedWidth(b: GroupBound, keep: number, roundTo = 1): number {
  return roundKeep(b.group.channels, Math.max(b.min, keep), roundTo);
}

/** Kept width per group at per-group rates under the constraints (groups without a rate, or ignored, are absent). */
export function widthsForRates(graph: ChannelGraph, rates: ReadonlyMap<number, number>, c: RateConstraints = {}): Map<number, number> {
  const out = new Map<number, number>();
  for (const b of groupBounds(graph, c)) {
    const r = rates.get(b.group.id);
    if (r === undefined || r === 0) continue;
    out.set(b.group.id, boundedWidth(b, keepCount(b.group.channels, r), c.roundTo));
  }
  return out;
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
