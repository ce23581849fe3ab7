/** Sample statistics over seeds: mean and sample standard deviation (n − 1; 0 for one value). */

export interface Stat {
  mean: number;
  std: number;
  n: number;
}

/** Mean, sample std (Bessel-corrected) and count; NaN mean/std for no values. */
export function stat(values: readonly number[]): Stat {
  const n = values.length;
  if (n === 0) return { mean: NaN, std: NaN, n: 0 };
  const mean = values.reduce((a, b) => a + b, 0) / n;
  const std = n > 1 ? Math.sqrt(values.reduce((a, v) => a + (v - mean) ** 2, 0) / (n - 1)) : 0;
  return { mean, std, n };
}
