/** Datasets: IDX and CIFAR readers, the embedded digits, Fashion-MNIST, transforms and batching. */
export type { ImageSet, DatasetSplits } from './types.js';
export * from './idx.js';
export * from './idx-dataset.js';
export * from './cifar.js';
export * from './digits.js';
export { loadFashionMnist, FASHION_MNIST_DIR, FASHION_MNIST_CLASSES } from './fashion-mnist.js';
export * from './transforms.js';
export * from './batches.js';
export * from './registry.js';
export * from './preprocess.js';
export * from './image-decode.js';
export * from './image-folder.js';
export * from './pixel-store.js';
export * from './npy-dataset.js';
