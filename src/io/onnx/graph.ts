/**
 * ONNX graph builder: collects nodes, initializers and value names, and serializes the result as an
 * ONNX `ModelProto` with the maintained `onnx-proto` package (protobufjs over the official onnx.proto).
 *
 * Layout convention of the exporter: every rank-4 value is stored NCHW inside the graph (what ONNX's
 * Conv/Pool ops take); values of every other rank keep the Keras layout. `OnnxValue.shape` is always
 * the Keras (NHWC) shape, batch first, so emitters know the Keras meaning of an axis.
 */
import onnxProto from 'onnx-proto';

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

export class OnnxGraphBuilder {
  private readonly nodes: PendingNode[] = [];
  private readonly initializers: PendingTensor[] = [];
  private readonly used = new Set<string>();

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
