/**
 * Examples read on demand (a dataset larger than memory): each read writes one example's H·W·C
 * float32 values, fully preprocessed, NHWC. Synchronous, so batches stay a plain generator.
 */
export interface ExampleSource {
  /** Writes example `index` (H·W·C values) into `dst` starting at `offset`. */
  read(index: number, dst: Float32Array, offset: number): void;
  /** Where the examples come from, for messages (e.g. 'decoded-pixel cache /tmp/x.u8'). */
  describe: string;
}

/**
 * Image classification data, NHWC, float32: in memory (`images`), or streamed from `source`
 * (then `images` is empty; read examples with readExample / gatherExamples from batches.ts).
 */
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
  /** Present for streamed sets: the examples are read from here and `images` is empty. */
  source?: ExampleSource;
}

export interface DatasetSplits {
  name: string;
  train: ImageSet;
  test: ImageSet;
  classNames?: string[];
  /** Per-channel normalisation already applied to train and test (x' = (x − mean)/std), if any. */
  normalization?: { mean: number[]; std: number[] };
  /** How the pixels were preprocessed (images:/npy: datasets and --normalize), for reports. */
  preprocessing?: string;
}
