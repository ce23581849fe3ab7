/**
 * Conv-gradient kernel timings on wasm (one short run, not a test):
 * forward Conv2D, prunekit's Conv2DBackpropInput / Conv2DBackpropFilter, and the stock wasm
 * Conv2DBackpropInput for comparison, for VGG-ish layers at batch 64.
 *
 *   node --import tsx bench/conv-kernels.ts [--threads N] [--no-stock]
 *
 * Each kernel runs once to warm up (XNNPACK operator creation) and is then timed once, in process CPU ms
 * (robust to other processes sharing the cores; with several wasm threads it sums over them).
 */
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../src/backend/index.js';
import { stockWasmKernel } from '../src/backend/kernels/conv/index.js';

interface Layer {
  name: string;
  n: number;
  hw: number;
  ci: number;
  co: number;
  k: number;
  s: number;
  depthwise?: boolean;
}

const LAYERS: Layer[] = [
  { name: 'VGG 3×3 s1 64→64 @32×32', n: 64, hw: 32, ci: 64, co: 64, k: 3, s: 1 },
  { name: 'VGG 3×3 s2 64→64 @32×32', n: 64, hw: 32, ci: 64, co: 64, k: 3, s: 2 },
  { name: 'first layer 3×3 s1 3→64 @32×32', n: 64, hw: 32, ci: 3, co: 64, k: 3, s: 1 },
  { name: 'pointwise 1×1 s1 64→128 @16×16', n: 64, hw: 16, ci: 64, co: 128, k: 1, s: 1 },
  { name: 'depthwise 3×3 s1 128 @16×16', n: 64, hw: 16, ci: 128, co: 128, k: 3, s: 1, depthwise: true },
];

function timeOnce(f: () => tf.Tensor | tf.TensorInfo, warm = true): number {
  const run = () => {
    const out = f();
    if (out instanceof tf.Tensor) {
      out.dataSync();
      out.dispose();
    } else {
      tf.backend().disposeData(out.dataId);
    }
  };
  if (warm) run();
  const c0 = process.cpuUsage();
  run();
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / 1000;
}

const argv = process.argv.slice(2);
const threadsArg = argv.indexOf('--threads');
const info = await initBackend({ backend: 'wasm', threads: threadsArg >= 0 ? Number(argv[threadsArg + 1]) : undefined, log: false });
const withStock = !argv.includes('--no-stock');
const stock = withStock ? stockWasmKernel('Conv2DBackpropInput') : undefined;
// It was unregistered before the backend initialised, so its setup (binding the wasm function) never ran.
stock?.setupFunc?.(tf.backend());
console.log(`wasm, ${info.threads} thread(s): ${info.detail}`);
console.log('layer | forward | BackpropInput | BackpropFilter | stock BackpropInput | stock/ours   (CPU ms)');

for (const L of LAYERS) {
  const x = tf.randomNormal([L.n, L.hw, L.hw, L.ci], 0, 1, 'float32', 1) as tf.Tensor4D;
  const w = tf.randomNormal([L.k, L.k, L.ci, L.depthwise ? 1 : L.co], 0, 0.1, 'float32', 2) as tf.Tensor4D;
  const outHw = Math.ceil(L.hw / L.s);
  const dy = tf.randomNormal([L.n, outHw, outHw, L.co], 0, 1, 'float32', 3) as tf.Tensor4D;
  const attrs = { strides: [L.s, L.s], pad: 'same', dataFormat: 'NHWC', dimRoundingMode: undefined } as unknown as tf.NamedAttrMap;
  const [fwdOp, inputKernel, filterKernel] = L.depthwise
    ? [() => tf.depthwiseConv2d(x, w, L.s, 'same'), 'DepthwiseConv2dNativeBackpropInput', 'DepthwiseConv2dNativeBackpropFilter']
    : [() => tf.conv2d(x, w, L.s, 'same'), 'Conv2DBackpropInput', 'Conv2DBackpropFilter'];
  const fwd = timeOnce(fwdOp);
  const bi = timeOnce(() => tf.engine().runKernel(inputKernel, { dy, filter: w }, { ...attrs, inputShape: x.shape }) as tf.Tensor);
  const bf = timeOnce(() => tf.engine().runKernel(filterKernel, { x, dy }, { ...attrs, filterShape: w.shape }) as tf.Tensor);
  let stockMs = NaN;
  if (stock && !L.depthwise) {
    stockMs = timeOnce(
      () =>
        stock.kernelFunc({
          inputs: { dy, filter: w },
          attrs: { ...attrs, inputShape: x.shape },
          backend: tf.backend(),
        }) as tf.TensorInfo,
      false,
    );
  }
  const f = (v: number) => (Number.isNaN(v) ? '-' : v.toFixed(1));
  console.log(`${L.name} | ${f(fwd)} | ${f(bi)} | ${f(bf)} | ${f(stockMs)} | ${Number.isNaN(stockMs) ? '-' : (stockMs / bi).toFixed(1) + '×'}`);
  tf.dispose([x, w, dy]);
}
