/**
 * Data transforms: per-channel normalisation (normalize.ts) and seeded crop/flip
 * augmentation (augment.ts). Re-exported here as one entry point.
 */
export { channelStats, normalize, denormalize, type ChannelStats } from './normalize.js';
export {
  applyCropFlip,
  drawCropFlipParams,
  randomCropFlip,
  type CropFlipParams,
  type ImageShape,
} from './augment.js';
