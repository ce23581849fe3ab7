/**
 * The bench nets (the three of issue 10: MLP, small CNN, VGG-11-BN) and one synthetic training setup
 * for them — seeded model, random input batch, one-hot labels, optimiser and its variables — shared by
 * the benches that time training steps (profile-step.ts, two-process.ts).
 */
import * as tf from '@tensorflow/tfjs';
import { createModel, type ZooModelName } from '../src/models/zoo.js';
import { createOptimizer, type OptimizerSpec, type TrainableVar, type TrainOptimizer } from '../src/train/optimizers.js';
import { createRng, randNormal } from '../src/util/random.js';

export interface BenchNet {
  key: string;
  zoo: ZooModelName;
  input: [number, number, number];
  batch: number;
}

export const BENCH_NETS: readonly BenchNet[] = [
  { key: 'mlp', zoo: 'fcn', input: [28, 28, 1], batch: 60 },
  { key: 'cnn', zoo: 'small-cnn', input: [28, 28, 1], batch: 128 },
  { key: 'vgg', zoo: 'vgg11', input: [32, 32, 3], batch: 64 },
];

/** The DCT sweep's dense nets (exp/dct.json: full width, Fashion-MNIST, batch 128), for profiling what the sweep spends. */
export const SWEEP_NETS: readonly BenchNet[] = [
  { key: 'vgg-small', zoo: 'vgg-small', input: [28, 28, 1], batch: 128 },
  { key: 'resnet20', zoo: 'resnet20', input: [28, 28, 1], batch: 128 },
];

/** The net named `key` (a bench net or a sweep net), or an error listing the names. */
export function benchNet(key: string): BenchNet {
  const all = [...BENCH_NETS, ...SWEEP_NETS];
  const spec = all.find((n) => n.key === key);
  if (!spec) throw new Error(`--models: unknown net '${key}'; use one of ${all.map((n) => n.key).join(', ')}`);
  return spec;
}

export interface SyntheticTraining {
  model: tf.LayersModel;
  x: tf.Tensor4D;
  y: tf.Tensor;
  optimizer: TrainOptimizer;
  vars: TrainableVar[];
  /** Softmax cross-entropy of the model on (x, y), in training mode. */
  loss: () => tf.Scalar;
  dispose: () => void;
}

/** A seeded model of `spec` with a random batch (seed 7) and labels i mod 10, ready to train. */
export function syntheticTraining(spec: BenchNet, optimizerSpec: OptimizerSpec): SyntheticTraining {
  const model = createModel(spec.zoo, { inputShape: spec.input, numClasses: 10, seed: 1 });
  const rng = createRng(7);
  const n = spec.batch * spec.input[0] * spec.input[1] * spec.input[2];
  const xs = new Float32Array(n);
  for (let i = 0; i < n; i++) xs[i] = randNormal(rng);
  const x = tf.tensor4d(xs, [spec.batch, ...spec.input]);
  const y = tf.tidy(() => tf.oneHot(tf.tensor1d(Int32Array.from({ length: spec.batch }, (_, i) => i % 10), 'int32'), 10).toFloat());
  const optimizer = createOptimizer(optimizerSpec);
  const vars: TrainableVar[] = model.trainableWeights.map((w) => ({ name: w.originalName, variable: w.read() as tf.Variable }));
  const loss = (): tf.Scalar => tf.losses.softmaxCrossEntropy(y, model.apply(x, { training: true }) as tf.Tensor) as tf.Scalar;
  return {
    model, x, y, optimizer, vars, loss,
    dispose: () => {
      tf.dispose([x, y]);
      optimizer.dispose();
      model.dispose();
    },
  };
}
