/**
 * Fashion-MNIST (Zalando; 60,000 train / 10,000 test, 28×28 grey, 10 classes) from the Debian
 * package `dataset-fashion-mnist`, which installs the four .gz IDX files in
 * /usr/share/datasets/fashion-mnist. Pixels are scaled to [0, 1] (no normalisation here).
 */
import { existsSync } from 'node:fs';
import { loadIdxDataset } from './idx-dataset.js';
import type { DatasetSplits } from './types.js';

export { loadIdxDataset } from './idx-dataset.js';

export const FASHION_MNIST_DIR = '/usr/share/datasets/fashion-mnist';

export const FASHION_MNIST_CLASSES = [
  'T-shirt/top',
  'Trouser',
  'Pullover',
  'Dress',
  'Coat',
  'Sandal',
  'Shirt',
  'Sneaker',
  'Bag',
  'Ankle boot',
];

/** Loads Fashion-MNIST from `dir` (default: the Debian package location). */
export async function loadFashionMnist(dir: string = FASHION_MNIST_DIR): Promise<DatasetSplits> {
  if (!existsSync(dir)) {
    throw new Error(
      `fashion-mnist: directory ${dir} not found. Install the data with ` +
        '`sudo apt-get install dataset-fashion-mnist` (puts it in ' +
        `${FASHION_MNIST_DIR}), or pass a directory of Fashion-MNIST IDX files ` +
        '(e.g. --dataset fashion-mnist:DIR).',
    );
  }
  return loadIdxDataset(dir, 'fashion-mnist', { classNames: FASHION_MNIST_CLASSES });
}
