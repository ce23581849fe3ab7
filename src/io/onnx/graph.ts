/**
 * ONNX graph builder: collects nodes, initializers and value names, and serializes the result as an
 * ONNX `ModelProto` with the maintained `onnx-proto` package (protobufjs over the official onnx.proto).
 *
 * Layout convention of the exporter: every rank-4 value is stored NCHW inside the graph (what ONNX's
 * Conv/Pool ops take); values of every other rank keep the Keras layout. `OnnxValue.shape` is always
 * the Keras (NHWC) shape, batch first, so emitters know the Keras meaning of an axis.
 *
 * Layer weights go through `weight(key, …)`: one initializer per key, so a layer called several times
 * (shared weights) stores its weights once. With `quantize` they are stored as the TF.js quantized
 * folder stores them (src/io/quantize.ts, per tensor, 0 exactly representable) and decoded in the graph
 * as TF.js decodes them: uint8/uint16 → Cast to float, Mul(scale), Add(min) = q·scale + min (the zero code
 * gives exactly 0); float16 → Cast to float. All inputs are constants, so onnxruntime folds the decoding
 * into float initializers when it loads the file: the file is small and inference runs in float32.
 * Not DequantizeLinear: onnxruntime's extended optimizations turn weight-DequantizeLinear → Conv/Gemm into
 * integer kernels that also quantize the activations (measured 1.7e-3 relative deviation from TF.js).
 */
import onnxProto from 'onnx-proto';
import { affineParams, float32ToFloat16Bits, quantizeAffine, type WeightQuantization } from '../quantize.js';

const { onnx } = onnxProto;

/** ONNX opset the exporter targets (the ai.onnx domain). */
export const ONNX_OPSET = 17;
/** IR version 8 is the first that allows opset 17. */
export const ONNX_IR_VERSION = 8;

/** A value in the graph: its ONNX name and its Keras shape (batch first, null = unknown). */
export interface OnnxValue {
  name: string;
  shape: (number | null)[];
}

export type AttrValue = number | number[] | string | { floats: number[] } | { float: number };

interface PendingNode {
  opType: string;
  inputs: string[];
  outputs: string[];
  name: string;
  attrs: Record<string, AttrValue>;
}

interface PendingTensor {
  name: string;
  dims: number[];
  dataType: number;
  raw: Uint8Array;
}

function attribute(name: string, v: AttrValue): onnxProto.onnx.IAttributeProto {
  const T = onnx.AttributeProto.AttributeType;
  if (typeof v === 'string') return { name, type: T.STRING, s: new TextEncoder().encode(v) };
  if (typeof v === 'number') {
    if (!Number.isInteger(v)) throw new Error(`ONNX attribute ${name}: ${v} is not an integer (use { float })`);
    return { name, type: T.INT, i: v };
  }
  if (Array.isArray(v)) return { name, type: T.INTS, ints: v };
  if ('floats' in v) return { name, type: T.FLOATS, floats: v.floats };
  return { name, type: T.FLOAT, f: v.float };
}

export interface OnnxGraphOptions {
  /** Store layer weights (`weight()`) quantized and dequantize them in the graph. */
  quantize?: WeightQuantization;
}

export class OnnxGraphBuilder {
  private readonly nodes: PendingNode[] = [];
  private readonly initializers: PendingTensor[] = [];
  private readonly used = new Set<string>();
  private readonly weights = new Map<string, { name: string; dims: number[]; data: Float32Array }>();
  readonly quantize: WeightQuantization | undefined;

  constructor(opts: OnnxGraphOptions = {}) {
    this.quantize = opts.quantize;
  }

  /** Number of initializers so far (tests count shared weights with it). */
  get initializerCount(): number {
    return this.initializers.length;
  }

  /**
   * The value holding a layer weight (row-major `data` of shape `dims`): one initializer per `key`
   * (`layer/role`), reused by every later call with that key; quantized when the builder quantizes and
   * `quantize` is not false. Throws when one key is given two different values.
   */
  weight(key: string, data: Float32Array, dims: number[], quantize = true): string {
    const prev = this.weights.get(key);
    if (prev) {
      const same = prev.dims.length === dims.length && prev.dims.every((d, i) => d === dims[i]) && prev.data.every((v, i) => Object.is(v, data[i]));
      if (!same) throw new Error(`ONNX weight ${key}: emitted twice with different values`);
      return prev.name;
    }
    const name = quantize && this.quantize ? this.quantizedWeight(key, data, dims, this.quantize) : this.float(key, data, dims);
    this.weights.set(key, { name, dims: dims.slice(), data: Float32Array.from(data) });
    return name;
  }

  private raw(hint: string, dataType: number, dims: number[], bytes: Uint8Array): string {
    const name = this.unique(hint);
    this.initializers.push({ name, dims, dataType, raw: bytes });
    return name;
  }

  private quantizedWeight(key: string, data: Float32Array, dims: number[], q: WeightQuantization): string {
    const T = onnx.TensorProto.DataType;
    if (dims.reduce((a, b) => a * b, 1) !== data.length) throw new Error(`ONNX initializer ${key}: ${data.length} values for dims [${dims}]`);
    if (q === 'float16') {
      const h = Uint16Array.from(data, (v) => float32ToFloat16Bits(v));
      return this.node('Cast', [this.raw(`${key}/f16`, T.FLOAT16, dims, new Uint8Array(h.buffer))], { to: T.FLOAT }, key);
    }
    const p = affineParams(data, q);
    const codes = quantizeAffine(data, p, q);
    const bytes = new Uint8Array(codes.buffer, codes.byteOffset, codes.byteLength);
    const scale = this.float(`${key}/scale`, Float32Array.of(p.scale), []);
    const cast = this.node('Cast', [this.raw(`${key}/${q}`, q === 'uint8' ? T.UINT8 : T.UINT16, dims, bytes)], { to: T.FLOAT }, `${key}/float`);
    const scaled = this.node('Mul', [cast, scale], {}, `${key}/scaled`);
    // min as float32 such that the zero code decodes to exactly 0 in float32 arithmetic: q₀·scale + min = 0
    const min = -Math.fround(p.zeroPoint * Math.fround(p.scale));
    return this.node('Add', [scaled, this.float(`${key}/min`, Float32Array.of(min), [])], {}, key);
  }

  /** A fresh value/node name based on `hint`. */
  unique(hint: string): string {
    const base = hint.replace(/[^A-Za-z0-9_./:-]/g, '_') || 'v';
    let name = base;
    for (let i = 1; this.used.has(name); i++) name = `${base}_${i}`;
    this.used.add(name);
    return name;
  }

  /** Adds one node with a single output; returns the output's name. */
  node(opType: string, inputs: string[], attrs: Record<string, AttrValue> = {}, hint = opType): string {
    const out = this.unique(hint);
    this.nodes.push({ opType, inputs, outputs: [out], name: this.unique(`${out}/${opType}`), attrs });
    return out;
  }

  /** A float32 initializer (row-major `data` of shape `dims`). */
  float(hint: string, data: Float32Array, dims: number[]): string {
    const n = dims.reduce((a, b) => a * b, 1);
    if (n !== data.length) throw new Error(`ONNX initializer ${hint}: ${data.length} values for dims [${dims}]`);
    const name = this.unique(hint);
    const copy = Float32Array.from(data);
    this.initializers.push({ name, dims, dataType: onnx.TensorProto.DataType.FLOAT, raw: new Uint8Array(copy.buffer) });
    return name;
  }

  /** An int64 initializer (1-D). */
  int64(hint: string, values: readonly number[]): string {
    const name = this.unique(hint);
    const big = BigInt64Array.from(values.map((v) => BigInt(v)));
    this.initializers.push({ name, dims: [values.length], dataType: onnx.TensorProto.DataType.INT64, raw: new Uint8Array(big.buffer) });
    return name;
  }

  /** Serializes the graph with the given inputs/outputs (`dims` with -1 or a symbol name for the batch). */
  encode(graphName: string, inputs: { name: string; dims: (number | string)[] }[], outputs: { name: string; dims: (number | string)[] }[]): Uint8Array {
    const valueInfo = (v: { name: string; dims: (number | string)[] }): onnxProto.onnx.IValueInfoProto => ({
      name: v.name,
      type: {
        tensorType: {
          elemType: onnx.TensorProto.DataType.FLOAT,
          shape: { dim: v.dims.map((d) => (typeof d === 'string' ? { dimParam: d } : { dimValue: d })) },
        },
      },
    });
    const model = onnx.ModelProto.create({
      irVersion: ONNX_IR_VERSION,
      producerName: 'prunekit',
      producerVersion: '0.1.0',
      opsetImport: [{ domain: '', version: ONNX_OPSET }],
      graph: {
        name: graphName,
        node: this.nodes.map((n) => ({
          opType: n.opType,
          name: n.name,
          input: n.inputs,
          output: n.outputs,
          attribute: Object.entries(n.attrs).map(([k, v]) => attribute(k, v)),
        })),
        initializer: this.initializers.map((t) => ({ name: t.name, dims: t.dims, dataType: t.dataType, rawData: t.raw })),
        input: inputs.map(valueInfo),
        output: outputs.map(valueInfo),
      },
    });
    return onnx.ModelProto.encode(model).finish();
  }
}
