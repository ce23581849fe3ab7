/**
 * Named, seeded layer constructors and a builder for plain chains (Sequential models).
 *
 * Conventions shared by the whole zoo:
 * - layer names are stable and unique within a model ('conv1', 'bn1', 'relu1', 'pool1', 'fc1', …);
 * - every random initializer is seeded with `deriveSeed(seed, '<layer>/kernel')` (see init.ts);
 * - BatchNormalization uses PyTorch's defaults (momentum 0.1 ⇒ TF.js momentum 0.9, epsilon 1e-5)
 *   and the identity init (γ = 1, β = 0, μ = 0, σ² = 1) as in the reference code.
 */
import * as tf from '@tensorflow/tfjs';
import { initializersFor, type InitScheme } from './init.js';
import { SpatialTracker } from './options.js';
import type { ResolvedOptions } from './types.js';

export type Activation = 'relu' | 'linear';

export interface ConvSpec {
  name: string;
  inChannels: number;
  filters: number;
  kernel: number;
  stride?: number;
  padding?: 'same' | 'valid';
  useBias?: boolean;
  activation?: Activation;
  init: InitScheme;
  seed: number;
  inputShape?: number[];
}

export function conv2d(spec: ConvSpec): tf.layers.Layer {
  const init = initializersFor(spec.init, [spec.kernel, spec.kernel, spec.inChannels, spec.filters], spec.seed, spec.name);
  const useBias = spec.useBias ?? true;
  return tf.layers.conv2d({
    name: spec.name,
    filters: spec.filters,
    kernelSize: spec.kernel,
    strides: spec.stride ?? 1,
    padding: spec.padding ?? 'same',
    useBias,
    activation: spec.activation ?? 'linear',
    kernelInitializer: init.kernelInitializer,
    ...(useBias ? { biasInitializer: init.biasInitializer } : {}),
    ...(spec.inputShape ? { inputShape: spec.inputShape } : {}),
  });
}

export interface DenseSpec {
  name: string;
  inFeatures: number;
  units: number;
  activation?: Activation;
  init: InitScheme;
  seed: number;
  inputShape?: number[];
}

export function dense(spec: DenseSpec): tf.layers.Layer {
  const init = initializersFor(spec.init, [spec.inFeatures, spec.units], spec.seed, spec.name);
  return tf.layers.dense({
    name: spec.name,
    units: spec.units,
    activation: spec.activation ?? 'linear',
    kernelInitializer: init.kernelInitializer,
    biasInitializer: init.biasInitializer,
    ...(spec.inputShape ? { inputShape: spec.inputShape } : {}),
  });
}

/** BatchNorm over the channel (last) axis with PyTorch's momentum/epsilon. */
export function batchNorm(name: string, inputShape?: number[]): tf.layers.Layer {
  return tf.layers.batchNormalization({
    name,
    axis: -1,
    momentum: 0.9,
    epsilon: 1e-5,
    ...(inputShape ? { inputShape } : {}),
  });
}

export function relu(name: string): tf.layers.Layer {
  return tf.layers.activation({ name, activation: 'relu' });
}

/**
 * Builds a plain chain of layers as a `tf.Sequential`, tracking channels and spatial size so that
 * each layer's fans are known for initialisation and too-small inputs fail clearly.
 */
export class ChainBuilder {
  private readonly layers: tf.layers.Layer[] = [];
  private readonly spatial: SpatialTracker;
  private channels: number;
  /** Set after Flatten / Dense: the feature count of a rank-2 activation. */
  private features: number | undefined;
  private pendingInput: number[] | undefined;

  constructor(
    private readonly model: string,
    private readonly opts: ResolvedOptions,
  ) {
    const [h, w, c] = opts.inputShape;
    this.spatial = new SpatialTracker(model, h, w);
    this.channels = c;
    this.pendingInput = [h, w, c];
  }

  private takeInput(): { inputShape?: number[] } {
    const s = this.pendingInput;
    this.pendingInput = undefined;
    return s ? { inputShape: s } : {};
  }

  private requireSpatial(layer: string): void {
    if (this.features !== undefined) {
      throw new Error(`createModel('${this.model}'): layer '${layer}' needs a spatial input but follows Flatten/Dense`);
    }
  }

  conv(
    name: string,
    filters: number,
    o: { kernel: number; stride?: number; padding?: 'same' | 'valid'; useBias?: boolean; activation?: Activation; init: InitScheme },
  ): this {
    this.requireSpatial(name);
    const stride = o.stride ?? 1;
    const padding = o.padding ?? 'same';
    if (padding === 'same') this.spatial.same(stride);
    else this.spatial.valid(o.kernel, stride, name);
    this.layers.push(
      conv2d({ name, inChannels: this.channels, filters, ...o, stride, padding, seed: this.opts.seed, ...this.takeInput() }),
    );
    this.channels = filters;
    return this;
  }

  batchNorm(name: string): this {
    this.layers.push(batchNorm(name, this.takeInput().inputShape));
    return this;
  }

  relu(name: string): this {
    this.layers.push(relu(name));
    return this;
  }

  maxPool(name: string, size = 2, stride = size): this {
    this.requireSpatial(name);
    this.spatial.valid(size, stride, name);
    this.layers.push(tf.layers.maxPooling2d({ name, poolSize: size, strides: stride, padding: 'valid', ...this.takeInput() }));
    return this;
  }

  avgPool(name: string, size = 2, stride = size): this {
    this.requireSpatial(name);
    this.spatial.valid(size, stride, name);
    this.layers.push(
      tf.layers.averagePooling2d({ name, poolSize: size, strides: stride, padding: 'valid', ...this.takeInput() }),
    );
    return this;
  }

  flatten(name = 'flatten'): this {
    if (this.features === undefined) this.features = this.spatial.h * this.spatial.w * this.channels;
    this.layers.push(tf.layers.flatten({ name, ...this.takeInput() }));
    return this;
  }

  dense(name: string, units: number, o: { activation?: Activation; init: InitScheme }): this {
    if (this.features === undefined) {
      throw new Error(`createModel('${this.model}'): Dense '${name}' must follow Flatten`);
    }
    this.layers.push(dense({ name, inFeatures: this.features, units, ...o, seed: this.opts.seed, ...this.takeInput() }));
    this.features = units;
    return this;
  }

  build(): tf.Sequential {
    return tf.sequential({ name: this.model, layers: this.layers });
  }
}
