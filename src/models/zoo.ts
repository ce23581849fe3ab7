/**
 * The model zoo: every model by name, with a one-line description.
 * All constructors return a freshly initialised `tf.LayersModel` (not compiled); the same seed gives
 * identical weights. The caller owns the model and must `dispose()` it.
 */
import type * as tf from '@tensorflow/tfjs';
import { createConv6 } from './conv6.js';
import { createLenet5 } from './lenet5.js';
import { createFcn, createLenet300 } from './mlp.js';
import { createCifarResnet } from './resnet.js';
import { createSmallCnn } from './small-cnn.js';
import type { ZooOptions } from './types.js';
import { createLapVgg, createVggSmall } from './vgg.js';
import { createHrankVgg } from './vgg-hrank.js';
import { createMobilenetV1 } from './mobilenet.js';

interface ZooEntry {
  description: string;
  defaultInput: [number, number, number];
  create: (opts: ZooOptions) => tf.LayersModel;
}

const MNIST: [number, number, number] = [28, 28, 1];
const CIFAR: [number, number, number] = [32, 32, 3];

const ZOO = {
  fcn: { description: "LAP's FCN: Flatten → 4×Dense 500 ReLU → Dense classes (MNIST)", defaultInput: MNIST, create: createFcn },
  lenet300: { description: 'LeNet-300-100: Flatten → Dense 300 → Dense 100 → Dense classes', defaultInput: MNIST, create: createLenet300 },
  lenet5: {
    description: 'LeNet-5-like: conv6 5×5, pool, conv16 5×5, pool, fc120, fc84, fc classes',
    defaultInput: MNIST,
    create: createLenet5,
  },
  'small-cnn': {
    description: 'small CNN: conv32, conv32, pool, conv64, pool, fc128, fc classes (3×3 same, ReLU)',
    defaultInput: MNIST,
    create: createSmallCnn,
  },
  conv6: {
    description: "LAP's Conv-6: 64,64,M,128,128,M,256,256,M, FC 256,256,classes (no BN)",
    defaultInput: CIFAR,
    create: createConv6,
  },
  vgg11: { description: 'CIFAR VGG-11-BN (config A) as in LAP, one Dense(512→classes)', defaultInput: CIFAR, create: (o) => createLapVgg('vgg11', o) },
  vgg16: { description: 'CIFAR VGG-16-BN (config D) as in LAP, one Dense(512→classes)', defaultInput: CIFAR, create: (o) => createLapVgg('vgg16', o) },
  vgg19: { description: 'CIFAR VGG-19-BN (config E) as in LAP, one Dense(512→classes)', defaultInput: CIFAR, create: (o) => createLapVgg('vgg19', o) },
  'vgg11-hrank': {
    description: 'HRank-style VGG-11-BN: 8 convs, avg pool, Dense 512 → BN → ReLU → Dense classes',
    defaultInput: CIFAR,
    create: (o) => createHrankVgg('vgg11', o),
  },
  'vgg16-hrank': {
    description: 'HRank/DCTPruning VGG-16-BN: 13 convs, avg pool, Dense 512 → BN → ReLU → Dense classes (14,991,946 params)',
    defaultInput: CIFAR,
    create: (o) => createHrankVgg('vgg16', o),
  },
  'vgg19-hrank': {
    description: 'HRank-style VGG-19-BN: 16 convs, avg pool, Dense 512 → BN → ReLU → Dense classes',
    defaultInput: CIFAR,
    create: (o) => createHrankVgg('vgg19', o),
  },
  resnet20: { description: 'CIFAR ResNet-20 (3×3 BasicBlocks, 16/32/64, 1×1 projection shortcuts)', defaultInput: CIFAR, create: (o) => createCifarResnet(20, o) },
  resnet56: { description: 'CIFAR ResNet-56 (9 BasicBlocks per stage, 1×1 projection shortcuts)', defaultInput: CIFAR, create: (o) => createCifarResnet(56, o) },
  'vgg-small': {
    description: 'narrow VGG-BN for experiments: 32,32,M,64,64,M,128,128,M, Dense classes',
    defaultInput: CIFAR,
    create: createVggSmall,
  },
  mobilenet: {
    description: 'MobileNet-v1-style for 32×32: conv 3×3@32, 13 depthwise-separable blocks (dw 3×3, BN, ReLU6, pw 1×1, BN, ReLU6), GAP, Dense',
    defaultInput: CIFAR,
    create: createMobilenetV1,
  },
} as const satisfies Record<string, ZooEntry>;

export type ZooModelName = keyof typeof ZOO;

export interface ZooModelInfo {
  name: ZooModelName;
  description: string;
  defaultInputShape: [number, number, number];
}

/** Every zoo model with its description and default input shape, in a stable order. */
export function listModels(): ZooModelInfo[] {
  return (Object.keys(ZOO) as ZooModelName[]).map((name) => ({
    name,
    description: ZOO[name].description,
    defaultInputShape: [...ZOO[name].defaultInput] as [number, number, number],
  }));
}

export function isZooModelName(name: string): name is ZooModelName {
  return Object.prototype.hasOwnProperty.call(ZOO, name);
}

/**
 * Builds a zoo model. `inputShape` defaults to 28×28×1 for the MLPs, LeNets and small-cnn and to 32×32×3
 * for the CIFAR nets; `numClasses` 10; `seed` 0; `widthMultiplier` 1.
 */
export function createModel(name: ZooModelName, opts: ZooOptions = {}): tf.LayersModel {
  if (!isZooModelName(name)) {
    throw new Error(`createModel: unknown model '${String(name)}'; available: ${Object.keys(ZOO).join(', ')}`);
  }
  return ZOO[name].create(opts);
}
