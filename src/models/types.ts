/**
 * Shared types of the model zoo.
 */

/** Options every zoo constructor accepts (all optional; see `resolveOptions`). */
export interface ZooOptions {
  /** Input shape [height, width, channels] (NHWC without the batch). Default per family. */
  inputShape?: [number, number, number];
  /** Number of output classes (the last Dense layer's width). Default 10. */
  numClasses?: number;
  /** Seed for every initializer (derived per layer). Default 0. */
  seed?: number;
  /**
   * Multiplies hidden widths (conv filters, hidden Dense units); never the class count.
   * Widths are rounded and kept ≥ 1. Default 1.
   */
  widthMultiplier?: number;
}

/** `ZooOptions` with every default filled in and validated. */
export interface ResolvedOptions {
  inputShape: [number, number, number];
  numClasses: number;
  seed: number;
  widthMultiplier: number;
}
