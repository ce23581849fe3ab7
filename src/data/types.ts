/** In-memory image classification data, NHWC, float32. */
export interface ImageSet {
  /** Human-readable name, e.g. 'fashion-mnist/train'. */
  name: string;
  /** count·height·width·channels values, NHWC order. */
  images: Float32Array;
  /** count class indices in [0, numClasses). */
  labels: Int32Array;
  count: number;
  height: number;
  width: number;
  channels: number;
  numClasses: number;
}

export interface DatasetSplits {
  name: string;
  train: ImageSet;
  test: ImageSet;
  classNames?: string[];
  /** Per-channel normalisation already applied to train and test (x' = (x − mean)/std), if any. */
  normalization?: { mean: number[]; std: number[] };
}
