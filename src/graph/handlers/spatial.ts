/**
 * Spatial layers (channels unchanged, no weights): local pooling (MACs = output elements × window),
 * global pooling (MACs = input elements), padding, cropping, up-sampling (0 MACs).
 */
import { registerLayerHandler, type CostIO } from '../handler.js';
import { checkChannelsLast, isTrainableWeightFree, prod } from './util.js';

const zero = { role: 'passthrough' as const, needsChannelAxis: true, check: checkChannelsLast, cost: isTrainableWeightFree };
for (const cls of ['ZeroPadding1D', 'ZeroPadding2D', 'ZeroPadding3D', 'Cropping1D', 'Cropping2D', 'Cropping3D', 'UpSampling1D', 'UpSampling2D', 'UpSampling3D', 'Resizing', 'CenterCrop']) {
  registerLayerHandler(cls, zero);
}

for (const [cls, rank] of [['MaxPooling1D', 1], ['MaxPooling2D', 2], ['MaxPooling3D', 3], ['AveragePooling1D', 1], ['AveragePooling2D', 2], ['AveragePooling3D', 3]] as const) {
  registerLayerHandler(cls, {
    role: 'passthrough',
    needsChannelAxis: true,
    check: checkChannelsLast,
    cost(io: CostIO) {
      const p = io.config.poolSize ?? 2;
      const window = Array.isArray(p) ? prod(p as number[]) : (p as number) ** rank;
      return { macs: prod(io.outShape.slice(1)) * window, convDense: false, params: 0, trainableParams: 0 };
    },
  });
}

for (const cls of ['GlobalAveragePooling1D', 'GlobalAveragePooling2D', 'GlobalAveragePooling3D', 'GlobalMaxPooling1D', 'GlobalMaxPooling2D', 'GlobalMaxPooling3D']) {
  registerLayerHandler(cls, {
    role: 'passthrough',
    needsChannelAxis: true,
    check: checkChannelsLast,
    cost: (io: CostIO) => ({ macs: prod(io.inShape.slice(1)), convDense: false, params: 0, trainableParams: 0 }),
  });
}
