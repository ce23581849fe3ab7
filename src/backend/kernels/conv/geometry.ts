/**
 * Index geometry for expressing convolution gradients as stride-1 forward convolutions (pure functions).
 *
 * Forward convention, per spatial axis: out[o] = Σ_k in[o·S + k − P] · w[k], o ∈ [0, O), input length X.
 */
import * as tf from '@tensorflow/tfjs';

/** One residue class of the input gradient along one axis (see `inputGradPhases`). */
export interface InputGradPhase {
  /** Residue r: the taps k ≡ r (mod S) of the filter feed this phase. */
  residue: number;
  /** First input index of this phase (x = first + S·m). */
  first: number;
  /** Number of input indices in this phase (m ∈ [0, count)). */
  count: number;
  /** Number of filter taps of this phase (k = r + S·j, j ∈ [0, taps)); 0 → the gradient is zero there. */
  taps: number;
  /** Non-negative pads of the stride-1 sub-convolution over dy. */
  padBefore: number;
  padAfter: number;
  /** Leading rows of the sub-convolution output to skip (from negative pads). */
  crop: number;
  /** Length of the sub-convolution output (≥ crop + count). */
  subOut: number;
}

/**
 * Splits dx along one axis into S phases; phase r is a stride-1 correlation of dy with the flipped taps
 * w[r + S·(taps−1−j)], j = 0..taps−1:  dx[first + S·m] = Σ_j dyPadded[m + j], dyPadded having `padBefore`
 * leading zeros (a negative pad is turned into cropping of the sub-convolution output).
 */
export function inputGradPhases(X: number, K: number, S: number, P: number, O: number): InputGradPhase[] {
  const phases: InputGradPhase[] = [];
  for (let r = 0; r < S; r++) {
    const first = (((r - P) % S) + S) % S;
    const count = first < X ? Math.ceil((X - first) / S) : 0;
    const taps = r < K ? Math.ceil((K - r) / S) : 0;
    if (count === 0) continue;
    if (taps === 0) {
      phases.push({ residue: r, first, count, taps, padBefore: 0, padAfter: 0, crop: 0, subOut: 0 });
      continue;
    }
    const c = (first + P - r) / S; // integer by construction
    const before = taps - 1 - c;
    const after = count - 1 + taps - O - before;
    const padBefore = Math.max(0, before);
    const padAfter = Math.max(0, after);
    const subOut = O + padBefore + padAfter - taps + 1;
    phases.push({ residue: r, first, count, taps, padBefore, padAfter, crop: padBefore - before, subOut });
  }
  return phases;
}

/**
 * Trailing pad of the filter-gradient convolution along one axis: input = x (length X, leading pad P),
 * kernel = dy (length O) dilated by S, output length must be K. Negative → output is longer, crop to K.
 */
export function filterGradPadAfter(X: number, K: number, S: number, P: number, O: number): number {
  return K + (O - 1) * S - X - P;
}

export interface ConvGeometry {
  batch: number;
  inH: number;
  inW: number;
  inC: number;
  outH: number;
  outW: number;
  outC: number;
  kH: number;
  kW: number;
  sH: number;
  sW: number;
  dH: number;
  dW: number;
  padTop: number;
  padLeft: number;
}

type PadAttr = 'same' | 'valid' | number | number[][];

/** Validated geometry of a forward NHWC conv (regular or depthwise), for use by the gradient kernels. */
export function convGeometry(
  kernelName: string,
  xShape: number[],
  filterShape: number[],
  attrs: {
    strides: number | [number, number];
    pad: PadAttr;
    dilations?: number | [number, number];
    dimRoundingMode?: 'floor' | 'round' | 'ceil';
    dataFormat?: string;
  },
  depthwise: boolean,
): ConvGeometry {
  if (attrs.dataFormat !== undefined && attrs.dataFormat !== 'NHWC' && attrs.dataFormat !== 'channelsLast') {
    throw new Error(`prunekit wasm ${kernelName}: dataFormat '${attrs.dataFormat}' is not supported; use NHWC (channelsLast)`);
  }
  if (xShape.length !== 4 || filterShape.length !== 4) {
    throw new Error(`prunekit wasm ${kernelName}: expected rank-4 input and filter, got [${xShape}] and [${filterShape}]`);
  }
  const info = tf.backend_util.computeConv2DInfo(
    xShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    attrs.strides,
    attrs.dilations ?? 1,
    attrs.pad as 'same' | 'valid' | number | tf.backend_util.ExplicitPadding,
    attrs.dimRoundingMode,
    depthwise,
    'channelsLast',
  );
  if (info.padInfo.top < 0 || info.padInfo.left < 0 || info.padInfo.bottom < 0 || info.padInfo.right < 0) {
    throw new Error(`prunekit wasm ${kernelName}: negative explicit pads are not supported (${JSON.stringify(attrs.pad)})`);
  }
  return {
    batch: info.batchSize,
    inH: info.inHeight,
    inW: info.inWidth,
    inC: info.inChannels,
    outH: info.outHeight,
    outW: info.outWidth,
    outC: info.outChannels,
    kH: info.filterHeight,
    kW: info.filterWidth,
    sH: info.strideHeight,
    sW: info.strideWidth,
    dH: info.dilationHeight,
    dW: info.dilationWidth,
    padTop: info.padInfo.top,
    padLeft: info.padInfo.left,
  };
}

/** Attributes shared by the conv-gradient kernels (as tfjs passes them). */
export interface ConvGradAttrs {
  strides: number | [number, number];
  pad: 'same' | 'valid' | number | number[][];
  dilations?: number | [number, number];
  dataFormat?: string;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
}

/** Throws a clear error when dy is not the output shape of the forward conv `g` describes. */
export function assertDyShape(kernelName: string, dyShape: readonly number[], g: ConvGeometry, forward: string): void {
  const expected = [g.batch, g.outH, g.outW, g.outC];
  if (dyShape.join() !== expected.join()) {
    throw new Error(`prunekit wasm ${kernelName}: dy has shape [${dyShape}] but the forward ${forward} gives [${expected}]`);
  }
}
