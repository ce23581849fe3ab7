/**
 * LAP neighbour energies from the channel graph (src/graph): which kernel layer's output unit is
 * summed into which input unit of a layer (methods.md §5.2–5.3, §5.6).
 *
 * A[k] (input unit k of layer L, k = r·C + p on a channels-last / flattened input): Σ over the
 * graph terms covering channel p of E_out(producer)[from + p − offset]; a model-input term counts 1.
 * B[j] (output unit j of L): Σ over kernel layers N reading L's unit j at input units k of E_in(N)[k].
 * Modes: 'chain' (reference, §5.6): only the module-order neighbour, which must feed (A) / read (B)
 * every unit exactly; 'graph': every term (Add = sum over producers, Concatenate offsets; a
 * Multiply's broadcast gate is no energy source but its producer's B reads the gated consumers).
 * Anything that cannot be related exactly is an error naming both layers — never a guessed score.
 */
import type { ChannelGraph, LayerInfo, UnitTerm } from '../../graph/channel-graph.js';

export interface NeighbourEnergy {
  /** E_out of a kernel layer (per output unit). */
  out(layer: string): Float64Array;
  /** E_in of a kernel layer (per input unit). */
  in(layer: string): Float64Array;
}

function infoOf(graph: ChannelGraph, name: string): LayerInfo {
  const info = graph.byName.get(name);
  if (!info) throw new Error(`LAP: layer '${name}' does not reach a model output; exclude it`);
  return info;
}

function relationError(reader: string, inUnits: number, producer: string, outUnits: number, why: string): Error {
  return new Error(
    `cannot relate layer '${reader}' (${inUnits} inputs) to its predecessor '${producer}' (${outUnits} outputs): ${why}; ` +
      'use graph neighbours (graphAware: true, CLI --lap-graph) or exclude one of them',
  );
}

/** Incoming energy per input unit of `name` (length inUnits); undefined = A ≡ 1 (no kernel predecessor). */
export function incomingEnergy(
  graph: ChannelGraph, name: string, inUnits: number, prev: string | undefined, mode: 'chain' | 'graph', e: NeighbourEnergy, prevOutUnits = 0,
): Float64Array | undefined {
  const space = infoOf(graph, name).inSpace;
  if (!space) throw new Error(`LAP: layer '${name}' has no input`);
  const C = space.channels;
  if (Math.round(C * space.repeat) !== inUnits && !(space.repeat === 1 && C === inUnits)) {
    throw new Error(`LAP: layer '${name}' has ${inUnits} input units but its input tensor has ${C * space.repeat}`);
  }
  let terms: UnitTerm[];
  if (mode === 'chain') {
    if (prev === undefined) return undefined;
    terms = space.terms.filter((t) => t.layer === prev && !t.gate);
    if (terms.length === 0) throw relationError(name, inUnits, prev, prevOutUnits, `'${prev}' does not feed '${name}' in the graph`);
  } else {
    terms = space.terms.filter((t) => !t.gate);
    if (terms.every((t) => t.layer === null)) return undefined;
  }
  const acc = new Float64Array(C);
  const hits = new Int32Array(C);
  for (const t of terms) {
    const eo = t.layer === null ? undefined : e.out(t.layer);
    for (let i = 0; i < t.length; i++) {
      acc[t.offset + i] += eo ? eo[t.from + i] : 1;
      hits[t.offset + i]++;
    }
  }
  if (mode === 'chain') {
    const missing = hits.findIndex((h) => h !== 1);
    if (missing >= 0) {
      throw relationError(name, inUnits, prev!, prevOutUnits, `'${prev}' feeds only ${hits.filter((h) => h > 0).length} of its ${C} input channels (e.g. a Concatenate)`);
    }
  }
  const a = new Float64Array(inUnits);
  for (let k = 0; k < inUnits; k++) a[k] = acc[k % C];
  return a;
}

/** Kernel layers whose input terms include `name` (gates included). */
export function kernelReaders(graph: ChannelGraph, name: string): LayerInfo[] {
  return graph.layers.filter((l) => l.kernel && l.inSpace !== undefined && l.inSpace.terms.some((t) => t.layer === name));
}

/** Outgoing energy per output unit of `name` (length outUnits); undefined = B ≡ 1 (no kernel successor). */
export function outgoingEnergy(
  graph: ChannelGraph, name: string, outUnits: number, next: string | undefined, mode: 'chain' | 'graph', e: NeighbourEnergy, nextInUnits = 0,
): Float64Array | undefined {
  infoOf(graph, name);
  let readers = kernelReaders(graph, name);
  if (mode === 'chain') {
    if (next === undefined) return undefined;
    const nInfo = infoOf(graph, next);
    if (!readers.includes(nInfo)) throw relationError(next, nextInUnits, name, outUnits, `'${next}' does not read '${name}' in the graph`);
    readers = [nInfo];
  } else if (readers.length === 0) return undefined;
  const b = new Float64Array(outUnits);
  const hits = new Int32Array(outUnits);
  for (const r of readers) {
    const space = r.inSpace!;
    const ei = e.in(r.name);
    const reps = Math.round(space.repeat);
    if (ei.length !== space.channels * reps) throw new Error(`LAP: layer '${r.name}' has ${ei.length} input units but its input tensor has ${space.channels * space.repeat}`);
    for (const t of space.terms) {
      if (t.layer !== name) continue;
      if (t.from + t.length > outUnits) throw new Error(`LAP: '${r.name}' reads units of '${name}' beyond its ${outUnits} outputs`);
      for (let i = 0; i < t.length; i++) {
        hits[t.from + i]++;
        for (let q = 0; q < reps; q++) b[t.from + i] += ei[q * space.channels + t.offset + i];
      }
    }
  }
  if (mode === 'chain' && hits.some((h) => h === 0)) {
    throw relationError(next!, nextInUnits, name, outUnits, `'${next}' reads only ${hits.filter((h) => h > 0).length} of the ${outUnits} outputs`);
  }
  return b;
}
