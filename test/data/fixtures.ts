/** Small synthetic ImageSets for data tests. */
import type { ImageSet } from '../../src/data/types.js';
import { createRng } from '../../src/util/random.js';

/** An ImageSet whose image k is filled with values encoding (k, pixel) and label k % numClasses. */
export function makeSet(count: number, h: number, w: number, c: number, numClasses = 10, seed = 7): ImageSet {
  const per = h * w * c;
  const images = new Float32Array(count * per);
  const rng = createRng(seed);
  for (let k = 0; k < count; k++) {
    images[k * per] = k; // first value identifies the example
    for (let i = 1; i < per; i++) images[k * per + i] = rng();
  }
  const labels = new Int32Array(count).map((_, k) => k % numClasses);
  return { name: 'synthetic', images, labels, count, height: h, width: w, channels: c, numClasses };
}
