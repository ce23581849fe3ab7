/**
 * VGG feature-extractor configurations and the shared conv(bias) + BN + ReLU stack builder.
 * Numbers are conv widths, 'M' is a 2×2 max-pool (stride 2).
 */
import type { InitScheme } from './init.js';
import type { ChainBuilder } from './layers.js';
import { scaleWidth } from './options.js';

export type VggCfg = ReadonlyArray<number | 'M'>;

/** Simonyan & Zisserman's configurations A (VGG-11), D (VGG-16), E (VGG-19), each ending in 'M'. */
export const VGG_CFGS = {
  vgg11: [64, 'M', 128, 'M', 256, 256, 'M', 512, 512, 'M', 512, 512, 'M'],
  vgg16: [64, 64, 'M', 128, 128, 'M', 256, 256, 256, 'M', 512, 512, 512, 'M', 512, 512, 512, 'M'],
  vgg19: [64, 64, 'M', 128, 128, 'M', 256, 256, 256, 256, 'M', 512, 512, 512, 512, 'M', 512, 512, 512, 512, 'M'],
} as const satisfies Record<string, VggCfg>;

/** prunekit's narrow VGG-style net for quick experiments. */
export const VGG_SMALL_CFG: VggCfg = [32, 32, 'M', 64, 64, 'M', 128, 128, 'M'];

/**
 * Appends conv{k} (3×3 'same', bias) → bn{k} → relu{k} per number and pool{j} per 'M'.
 * Widths are scaled by `widthMultiplier`. Returns the number of convs added.
 */
export function addVggFeatures(b: ChainBuilder, cfg: VggCfg, widthMultiplier: number, init: InitScheme): number {
  let k = 0;
  let j = 0;
  for (const item of cfg) {
    if (item === 'M') {
      b.maxPool(`pool${++j}`);
    } else {
      k++;
      b.conv(`conv${k}`, scaleWidth(item, widthMultiplier), { kernel: 3, padding: 'same', useBias: true, init })
        .batchNorm(`bn${k}`)
        .relu(`relu${k}`);
    }
  }
  return k;
}
