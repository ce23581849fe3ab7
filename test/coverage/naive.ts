/**
 * Independent references for the coverage suite, written from the Keras semantics with explicit
 * loops (no src/graph code): per-unit tracing through the layer graph, LAP per weight, and
 * params / conv+dense MACs per layer from configs and shapes.
 */
import * as tf from '@tensorflow/tfjs';

export type Unit = { layer: string | null; unit: number };

const KERNEL = new Set(['Conv1D', 'Conv2D', 'Conv2DTranspose', 'Dense', 'SeparableConv2D', 'DepthwiseConv2D']);
const PASS = new Set([
  'BatchNormalization', 'Activation', 'ReLU', 'LeakyReLU', 'PReLU', 'Dropout', 'MaxPooling1D', 'MaxPooling2D', 'AveragePooling2D',
  'GlobalAveragePooling1D', 'GlobalAveragePooling2D', 'ZeroPadding2D', 'Cropping2D', 'UpSampling2D', 'LayerNormalization',
]);

const inbound = (l: tf.layers.Layer): tf.layers.Layer[] => (l.inboundNodes[0]?.inboundLayers ?? []) as tf.layers.Layer[];
const shapeOf = (l: tf.layers.Layer): number[] => (l.outputShape as number[]).slice(1);
const lastOf = (l: tf.layers.Layer): number => shapeOf(l)[shapeOf(l).length - 1];
const sizeOf = (l: tf.layers.Layer): number => shapeOf(l).reduce((a, b) => a * b, 1);

/** Which kernel-layer output units (or model-input units) are summed into output unit k of a layer. */
export class NaiveTrace {
  private memo = new Map<string, Unit[]>();
  /** gates: follow a Multiply's broadcast input too; throughDepthwise: treat DepthwiseConv2D as channel-wise. */
  constructor(private opts: { gates: boolean; throughDepthwise: boolean }) {}

  units(layer: tf.layers.Layer, k: number): Unit[] {
    const key = `${layer.name}:${k}`;
    const hit = this.memo.get(key);
    if (hit) return hit;
    const r = dedupe(this.compute(layer, k));
    this.memo.set(key, r);
    return r;
  }

  private compute(layer: tf.layers.Layer, k: number): Unit[] {
    const cls = layer.getClassName();
    const ins = inbound(layer);
    if (ins.length === 0) return [{ layer: null, unit: k }];
    if (cls === 'DepthwiseConv2D' && this.opts.throughDepthwise) return this.units(ins[0], k);
    if (KERNEL.has(cls)) return [{ layer: layer.name, unit: k }];
    if (PASS.has(cls)) return this.units(ins[0], k % lastOf(ins[0]));
    if (cls === 'Flatten' || cls === 'Reshape') {
      // every flat index f ≡ k (mod last) maps to input channel f mod C_in
      const out: Unit[] = [];
      const last = lastOf(layer);
      for (let f = k; f < sizeOf(layer); f += last) out.push(...this.units(ins[0], f % lastOf(ins[0])));
      return out;
    }
    if (cls === 'Add' || cls === 'Average' || cls === 'Maximum' || cls === 'Minimum') return ins.flatMap((i) => this.units(i, k));
    if (cls === 'Multiply') {
      const full = ins.filter((i) => sizeOf(i) === sizeOf(layer));
      return (this.opts.gates ? ins : full).flatMap((i) => this.units(i, k));
    }
    if (cls === 'Concatenate') {
      let off = 0;
      for (const i of ins) {
        const c = lastOf(i);
        if (k < off + c) return this.units(i, k - off);
        off += c;
      }
    }
    throw new Error(`naive trace: unhandled ${cls} '${layer.name}'`);
  }
}

function dedupe(us: Unit[]): Unit[] {
  const seen = new Set<string>();
  return us.filter((u) => {
    const key = `${u.layer}:${u.unit}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function values(layer: tf.layers.Layer, role: string): { v: Float32Array; s: number[] } {
  const w = layer.weights.find((x) => x.originalName.endsWith(`/${role}`))!;
  return { v: w.read().dataSync() as Float32Array, s: w.shape as number[] };
}

/** Σ w² per output unit / per input unit, with explicit index loops per class. */
export function energies(layer: tf.layers.Layer): { eOut: Float64Array; eIn: Float64Array } {
  const cls = layer.getClassName();
  if (cls === 'Dense') {
    const { v, s: [I, O] } = values(layer, 'kernel');
    const eOut = new Float64Array(O), eIn = new Float64Array(I);
    for (let k = 0; k < I; k++) for (let j = 0; j < O; j++) { const q = v[k * O + j] ** 2; eOut[j] += q; eIn[k] += q; }
    return { eOut, eIn };
  }
  if (cls === 'Conv2D' || cls === 'Conv1D') {
    const { v, s } = values(layer, 'kernel');
    const O = s[s.length - 1], I = s[s.length - 2], S = v.length / (I * O);
    const eOut = new Float64Array(O), eIn = new Float64Array(I);
    for (let p = 0; p < S; p++) for (let k = 0; k < I; k++) for (let j = 0; j < O; j++) { const q = v[(p * I + k) * O + j] ** 2; eOut[j] += q; eIn[k] += q; }
    return { eOut, eIn };
  }
  if (cls === 'Conv2DTranspose') {
    const { v, s: [kh, kw, O, I] } = values(layer, 'kernel');
    const eOut = new Float64Array(O), eIn = new Float64Array(I);
    for (let p = 0; p < kh * kw; p++) for (let o = 0; o < O; o++) for (let i = 0; i < I; i++) { const q = v[(p * O + o) * I + i] ** 2; eOut[o] += q; eIn[i] += q; }
    return { eOut, eIn };
  }
  if (cls === 'DepthwiseConv2D') {
    const { v, s: [kh, kw, C, M] } = values(layer, 'depthwise_kernel');
    const eOut = new Float64Array(C * M), eIn = new Float64Array(C);
    for (let p = 0; p < kh * kw; p++) for (let c = 0; c < C; c++) for (let m = 0; m < M; m++) { const q = v[(p * C + c) * M + m] ** 2; eOut[c * M + m] += q; eIn[c] += q; }
    return { eOut, eIn };
  }
  if (cls === 'SeparableConv2D') {
    const dw = values(layer, 'depthwise_kernel');
    const pw = values(layer, 'pointwise_kernel');
    const [, , CM, O] = pw.s;
    const C = dw.s[2];
    const eOut = new Float64Array(O), eIn = new Float64Array(C);
    for (let i = 0; i < CM; i++) for (let o = 0; o < O; o++) eOut[o] += pw.v[i * O + o] ** 2;
    for (let i = 0; i < dw.v.length; i++) eIn[Math.floor(i / dw.s[3]) % C] += dw.v[i] ** 2;
    return { eOut, eIn };
  }
  throw new Error(`naive energies: ${cls}`);
}

/** Graph-mode LAP per weight of a Dense / Conv1D / Conv2D / DepthwiseConv2D layer, by explicit loops. */
export function naiveLapScores(model: tf.LayersModel, name: string): Float32Array {
  const layer = model.getLayer(name);
  const feed = new NaiveTrace({ gates: false, throughDepthwise: false });
  const read = new NaiveTrace({ gates: true, throughDepthwise: false });
  const src = inbound(layer)[0];
  const inUnits = lastOf(src);
  const E = new Map<string, { eOut: Float64Array; eIn: Float64Array }>();
  const en = (n: string) => E.get(n) ?? (E.set(n, energies(model.getLayer(n))), E.get(n)!);
  // A over input units
  const feeders = Array.from({ length: inUnits }, (_, k) => feed.units(src, k));
  const onlyInput = feeders.every((us) => us.every((u) => u.layer === null));
  const A = feeders.map((us) => (onlyInput ? 1 : us.reduce((s, u) => s + (u.layer === null ? 1 : en(u.layer).eOut[u.unit]), 0)));
  // B over output units: every kernel layer reading a unit of `name`
  const outUnits = energies(layer).eOut.length;
  const B = new Float64Array(outUnits);
  let readers = 0;
  for (const r of model.layers) {
    if (!KERNEL.has(r.getClassName()) || inbound(r).length === 0) continue;
    const rin = inbound(r)[0];
    let reads = false;
    for (let k = 0; k < lastOf(rin); k++) {
      for (const u of read.units(rin, k)) if (u.layer === name) { B[u.unit] += en(r.name).eIn[k]; reads = true; }
    }
    if (reads) readers++;
  }
  if (readers === 0) B.fill(1);
  const { v, s } = layer.getClassName() === 'DepthwiseConv2D' ? values(layer, 'depthwise_kernel') : values(layer, 'kernel');
  const out = new Float32Array(v.length);
  if (layer.getClassName() === 'DepthwiseConv2D') {
    const [kh, kw, C, M] = s;
    for (let p = 0; p < kh * kw; p++) for (let c = 0; c < C; c++) for (let m = 0; m < M; m++) {
      const i = (p * C + c) * M + m;
      out[i] = v[i] ** 2 * A[c] * B[c * M + m];
    }
    return out;
  }
  const O = s[s.length - 1], I = s[s.length - 2], S = v.length / (I * O);
  for (let p = 0; p < S; p++) for (let k = 0; k < I; k++) for (let j = 0; j < O; j++) {
    const i = (p * I + k) * O + j;
    out[i] = v[i] ** 2 * A[k] * B[j];
  }
  return out;
}

/**
 * Params (all weights) and conv+dense MACs per sample from configs and shapes, written from the
 * Keras definitions (not from src/graph): the count the suite compares the library's against.
 */
export function naiveCount(model: tf.LayersModel): { params: number; trainable: number; macs: number } {
  let params = 0, trainable = 0, macs = 0;
  for (const l of model.layers) {
    const cls = l.getClassName();
    const c = l.getConfig() as Record<string, unknown>;
    const out = shapeOf(l);
    const ins = inbound(l);
    const cin = ins.length ? lastOf(ins[0]) : 0;
    const cout = out[out.length - 1];
    const k = (c.kernelSize as number[] | undefined) ?? [];
    const kk = k.reduce((a, b) => a * b, 1);
    const positions = out.slice(0, -1).reduce((a, b) => a * b, 1);
    const bias = c.useBias === false ? 0 : cout;
    let p = 0, t = 0;
    if (cls === 'Conv2D' || cls === 'Conv1D') { p = kk * cin * cout + bias; macs += positions * kk * cin * cout; }
    else if (cls === 'Conv2DTranspose') { p = kk * cin * cout + bias; macs += shapeOf(ins[0]).slice(0, -1).reduce((a, b) => a * b, 1) * kk * cin * cout; }
    else if (cls === 'Dense') { p = cin * cout + bias; macs += positions * cin * cout; }
    else if (cls === 'DepthwiseConv2D') { p = kk * cout + (c.useBias === false ? 0 : cout); macs += positions * kk * cout; }
    else if (cls === 'SeparableConv2D') { const m = (c.depthMultiplier as number) ?? 1; p = kk * cin * m + cin * m * cout + bias; macs += positions * (kk * cin * m + cin * m * cout); }
    else if (cls === 'BatchNormalization') { p = 4 * cin; t = 2 * cin; }
    else if (cls === 'LayerNormalization') p = 2 * cin;
    else if (cls === 'PReLU') { const shared = new Set((c.sharedAxes as number[] | undefined) ?? []); p = out.map((d, i) => (shared.has(i + 1) ? 1 : d)).reduce((a, b) => a * b, 1); }
    params += p;
    if (l.trainable) trainable += cls === 'BatchNormalization' ? t : p;
  }
  return { params, trainable, macs };
}
