/**
 * Optimisers for prunekit's training loop, built on tf.train optimisers.
 *
 * - 'sgd': plain SGD (momentum 0) or heavy-ball / Nesterov momentum. tfjs' momentum update is
 *   PyTorch's with dampening 0: v ← m·v + g; w ← w − lr·v (Nesterov: w ← w − lr·(g + m·v)).
 * - 'adam': tf.train.adam; epsilon defaults to 1e-8 (PyTorch's default; tfjs would use 1e-7).
 * - weightDecay: coupled L2, g ← g + wd·w before the update (PyTorch `weight_decay` of SGD and Adam).
 *   `decay: 'all'` (default) decays every trainable weight as PyTorch does — biases and BatchNorm γ/β
 *   included; `decay: 'kernels'` decays only conv/dense kernels (weights named `…/kernel`,
 *   `…/depthwise_kernel`, `…/pointwise_kernel`).
 *
 * The learning rate is changed per step with `setLearningRate` (tf's SGD/Momentum bake it into a
 * scalar via `setLearningRate`; Adam reads its public `learningRate` field in every `applyGradients`).
 *
 * On wasm the update runs as one fused SIMD kernel per variable (fused-step.ts; same arithmetic and state).
 *
 * Variables must always be passed in the same order: tf's momentum/Adam slots are indexed by position.
 */
import * as tf from '@tensorflow/tfjs';
import { fusedUpdatesAvailable } from '../backend/kernels/simd/fused-update.js';
import { applyFusedStep } from './fused-step.js';

/** A tensor with a name (tfjs-core's NamedTensor, which the tfjs barrel does not export). */
export interface NamedTensor {
  name: string;
  tensor: tf.Tensor;
}

export type OptimizerName = 'adam' | 'sgd';

export interface OptimizerSpec {
  name: OptimizerName;
  lr: number;
  /** sgd only (default 0). */
  momentum?: number;
  /** sgd only; needs momentum > 0 (default false). */
  nesterov?: boolean;
  /** Coupled L2 coefficient (default 0). */
  weightDecay?: number;
  /** Which weights are decayed (default 'all', like PyTorch). */
  decay?: 'all' | 'kernels';
  /** adam (defaults 0.9, 0.999, 1e-8). */
  beta1?: number;
  beta2?: number;
  epsilon?: number;
}

/** A named variable list entry for `TrainOptimizer.step`. */
export interface TrainableVar {
  /** Stable name used to decide decay (e.g. LayerVariable.originalName 'fc1/kernel'). */
  name: string;
  variable: tf.Variable;
}

export interface TrainOptimizer {
  readonly spec: Readonly<OptimizerSpec>;
  /** The wrapped tf optimiser. */
  readonly optimizer: tf.Optimizer;
  /** Number of steps applied so far. */
  readonly iterations: number;
  getLearningRate(): number;
  setLearningRate(lr: number): void;
  /**
   * One optimisation step: gradients of `f()` w.r.t. `vars`, plus weight decay, applied.
   * Returns the loss (the caller owns and disposes it). Allocates nothing that outlives the call.
   */
  step(f: () => tf.Scalar, vars: TrainableVar[]): tf.Scalar;
  /** Optimiser state as fresh tensors (the caller disposes them). */
  getState(): Promise<NamedTensor[]>;
  /** Restores state from `getState()` output (of an optimiser with the same spec and variables). */
  setState(state: NamedTensor[]): Promise<void>;
  dispose(): void;
}

const KERNEL_NAME = /(^|\/)(kernel|depthwise_kernel|pointwise_kernel)(_\d+)?$/;

/** Whether `decay` applies to a weight of this name. */
export function isDecayed(name: string, decay: 'all' | 'kernels'): boolean {
  return decay === 'all' || KERNEL_NAME.test(name);
}

export function validateOptimizerSpec(spec: OptimizerSpec): void {
  const where = `optimizer '${spec.name}'`;
  if (spec.name !== 'adam' && spec.name !== 'sgd') throw new Error(`unknown optimizer '${spec.name}'; use 'adam' or 'sgd'`);
  if (!(spec.lr > 0) || !Number.isFinite(spec.lr)) throw new Error(`${where}: lr must be a positive number, got ${spec.lr}`);
  if (spec.weightDecay !== undefined && !(spec.weightDecay >= 0)) throw new Error(`${where}: weightDecay must be ≥ 0`);
  if (spec.decay !== undefined && spec.decay !== 'all' && spec.decay !== 'kernels') {
    throw new Error(`${where}: decay must be 'all' or 'kernels', got '${spec.decay}'`);
  }
  if (spec.name === 'sgd') {
    const m = spec.momentum ?? 0;
    if (!(m >= 0 && m < 1)) throw new Error(`${where}: momentum must be in [0, 1), got ${m}`);
    if (spec.nesterov && m === 0) throw new Error(`${where}: nesterov needs momentum > 0`);
  } else {
    for (const k of ['beta1', 'beta2'] as const) {
      const v = spec[k];
      if (v !== undefined && !(v >= 0 && v < 1)) throw new Error(`${where}: ${k} must be in [0, 1), got ${v}`);
    }
    if (spec.epsilon !== undefined && !(spec.epsilon > 0)) throw new Error(`${where}: epsilon must be > 0`);
  }
}

/** Adam's private bias-correction accumulators (β^(t+1)); restored exactly on resume. */
interface AdamInternals {
  accBeta1?: tf.Variable;
  accBeta2?: tf.Variable;
}
const ACC_BETA1 = 'prunekit/adam/accBeta1';
const ACC_BETA2 = 'prunekit/adam/accBeta2';

class WrappedOptimizer implements TrainOptimizer {
  readonly optimizer: tf.Optimizer;
  private lr: number;
  private readonly wd: number;
  private readonly decay: 'all' | 'kernels';

  constructor(readonly spec: Readonly<OptimizerSpec>) {
    validateOptimizerSpec(spec);
    this.lr = spec.lr;
    this.wd = spec.weightDecay ?? 0;
    this.decay = spec.decay ?? 'all';
    if (spec.name === 'adam') {
      this.optimizer = tf.train.adam(spec.lr, spec.beta1 ?? 0.9, spec.beta2 ?? 0.999, spec.epsilon ?? 1e-8);
    } else if ((spec.momentum ?? 0) > 0) {
      this.optimizer = tf.train.momentum(spec.lr, spec.momentum!, spec.nesterov ?? false);
    } else {
      this.optimizer = tf.train.sgd(spec.lr);
    }
  }

  get iterations(): number {
    return this.optimizer.iterations;
  }

  getLearningRate(): number {
    return this.lr;
  }

  setLearningRate(lr: number): void {
    if (!(lr >= 0) || !Number.isFinite(lr)) throw new Error(`setLearningRate: lr must be a finite number ≥ 0, got ${lr}`);
    if (lr === this.lr) return;
    this.lr = lr;
    // Not `instanceof`: tf.Optimizer overrides Symbol.hasInstance, so every optimiser is an "SGDOptimizer".
    if (this.spec.name === 'sgd') (this.optimizer as tf.SGDOptimizer).setLearningRate(lr);
    else (this.optimizer as unknown as { learningRate: number }).learningRate = lr;
  }

  step(f: () => tf.Scalar, vars: TrainableVar[]): tf.Scalar {
    const varList = vars.map((v) => v.variable);
    const { value, grads } = tf.variableGrads(f, varList);
    try {
      const gradOf = (v: TrainableVar): tf.Tensor => {
        const g = grads[v.variable.name];
        if (g === undefined) throw new Error(`no gradient for trainable weight '${v.name}'`);
        return g;
      };
      const decayOf = (v: TrainableVar): number => (this.wd > 0 && isDecayed(v.name, this.decay) ? this.wd : 0);
      if (fusedUpdatesAvailable()) {
        // one SIMD pass per variable on wasm (fused-step.ts), same arithmetic and state as below
        applyFusedStep(this.spec, this.optimizer, vars.map((v) => ({ variable: v.variable, grad: gradOf(v), weightDecay: decayOf(v) })));
      } else {
        tf.tidy(() => {
          const list: NamedTensor[] = vars.map((v) => {
            const g = gradOf(v);
            const wd = decayOf(v);
            return { name: v.variable.name, tensor: wd > 0 ? tf.add(g, tf.mul(v.variable, wd)) : g };
          });
          this.optimizer.applyGradients(list);
        });
      }
    } finally {
      tf.dispose(grads);
    }
    return value;
  }

  async getState(): Promise<NamedTensor[]> {
    const named = await this.optimizer.getWeights();
    // 'iter' is a fresh scalar; the others are the optimiser's own variables: clone them.
    const out = named.map((n, i) => ({ name: n.name, tensor: i === 0 ? n.tensor : tf.clone(n.tensor) }));
    const adam = this.optimizer as unknown as AdamInternals;
    if (this.spec.name === 'adam' && adam.accBeta1 && adam.accBeta2) {
      out.push({ name: ACC_BETA1, tensor: tf.clone(adam.accBeta1) }, { name: ACC_BETA2, tensor: tf.clone(adam.accBeta2) });
    }
    return out;
  }

  async setState(state: NamedTensor[]): Promise<void> {
    if (state.length === 0 || state[0].name !== 'iter') {
      throw new Error(`optimizer state must start with the 'iter' entry (got ${state.length ? `'${state[0].name}'` : 'nothing'})`);
    }
    const extras = new Map(state.filter((s) => s.name.startsWith('prunekit/')).map((s) => [s.name, s.tensor]));
    const core = state.filter((s) => !s.name.startsWith('prunekit/'));
    if (this.spec.name === 'sgd' && (this.spec.momentum ?? 0) === 0 && core.length !== 1) {
      throw new Error(`optimizer state has ${core.length - 1} slot tensors but plain SGD has none; was it saved with momentum?`);
    }
    // tf's setWeights wraps the given tensors in new variables (sharing their data); pass copies so the
    // caller keeps ownership of `state`, and dispose the copies (the variables keep the data alive).
    const copies = core.map((s) => ({ name: s.name, tensor: tf.clone(s.tensor) }));
    try {
      await this.optimizer.setWeights(copies);
    } finally {
      tf.dispose(copies.map((c) => c.tensor));
    }
    const adam = this.optimizer as unknown as AdamInternals;
    if (this.spec.name === 'adam' && adam.accBeta1 && adam.accBeta2 && extras.has(ACC_BETA1) && extras.has(ACC_BETA2)) {
      adam.accBeta1.assign(extras.get(ACC_BETA1) as tf.Scalar);
      adam.accBeta2.assign(extras.get(ACC_BETA2) as tf.Scalar);
    }
  }

  dispose(): void {
    this.optimizer.dispose();
    // tfjs 4.22: MomentumOptimizer.dispose() does not call SGDOptimizer.dispose(), so the learning-rate
    // scalar `c` it inherits would leak one tensor per optimiser.
    const c = (this.optimizer as unknown as { c?: tf.Tensor }).c;
    if (this.optimizer instanceof tf.MomentumOptimizer && c && !c.isDisposed) c.dispose();
  }
}

/** Creates an optimiser from a spec (validated; throws naming the bad field). */
export function createOptimizer(spec: OptimizerSpec): TrainOptimizer {
  return new WrappedOptimizer({ ...spec });
}
