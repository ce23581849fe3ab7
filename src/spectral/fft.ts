/**
 * 2-D discrete Fourier transform of real or complex maps by matrix products ("DFT matrix" form).
 *
 * TF.js's FFT kernels exist only on some backends (not on wasm), and image sides such as 28 are not
 * powers of two, so prunekit computes the DFT as F_N = C_N − i·S_N with C_N[u, k] = cos(2πuk/N),
 * S_N[u, k] = sin(2πuk/N): two real matMuls per axis and part. Exact for any N and fast for the
 * image sides used here (N ≤ 64: O(N³) per map).
 *
 * Conventions (numpy's): forward Y[u, v] = Σ_x Σ_y X[x, y]·e^{−2πi(ux/H + vy/W)}, unnormalised;
 * inverse with e^{+2πi…} and 1/(H·W). Spectra are in the natural (unshifted) layout: index u holds
 * frequency u for u ≤ ⌊(N−1)/2⌋ and u − N above (see `signedFrequency`).
 */
import * as tf from '@tensorflow/tfjs';

export interface ComplexMaps {
  re: tf.Tensor3D;
  im: tf.Tensor3D;
}

const cache = new Map<number, { cos: Float32Array; sin: Float32Array }>();

/** Row-major N×N values of C_N and S_N (cached per N; do not mutate). Computed in float64, (u·k mod N) for accuracy. */
export function dftMatrixValues(n: number): { cos: Float32Array; sin: Float32Array } {
  if (!Number.isInteger(n) || n < 1) throw new Error(`dft: matrix size must be a positive integer, got ${n}`);
  let m = cache.get(n);
  if (!m) {
    const cos = new Float32Array(n * n);
    const sin = new Float32Array(n * n);
    for (let u = 0; u < n; u++) {
      for (let k = 0; k < n; k++) {
        const a = (2 * Math.PI * ((u * k) % n)) / n;
        cos[u * n + k] = Math.cos(a);
        sin[u * n + k] = Math.sin(a);
      }
    }
    m = { cos, sin };
    cache.set(n, m);
  }
  return m;
}

/** Signed frequency of spectrum index u on an axis of length n (numpy's fftfreq·n). */
export function signedFrequency(u: number, n: number): number {
  return u <= Math.floor((n - 1) / 2) ? u : u - n;
}

/**
 * Multiplies every row (last axis) of X = re + i·im by F = C − i·s·S (s = +1 forward, −1 inverse):
 * re' = re·C + s·im·S, im' = im·C − s·re·S (C, S symmetric). Shapes [B, H, W].
 */
function lastAxis(re: tf.Tensor3D, im: tf.Tensor3D | null, sign: 1 | -1): ComplexMaps {
  const [b, h, w] = re.shape;
  const { cos, sin } = dftMatrixValues(w);
  const c = tf.tensor2d(cos, [w, w]);
  const s = tf.tensor2d(sin, [w, w]);
  const r2 = tf.reshape(re, [b * h, w]) as tf.Tensor2D;
  const rc = tf.matMul(r2, c);
  const rs = tf.matMul(r2, s);
  let outRe: tf.Tensor;
  let outIm: tf.Tensor;
  if (im) {
    const i2 = tf.reshape(im, [b * h, w]) as tf.Tensor2D;
    const ic = tf.matMul(i2, c);
    const is = tf.matMul(i2, s);
    outRe = sign === 1 ? tf.add(rc, is) : tf.sub(rc, is);
    outIm = sign === 1 ? tf.sub(ic, rs) : tf.add(ic, rs);
  } else {
    outRe = rc;
    outIm = sign === 1 ? tf.neg(rs) : rs;
  }
  return { re: tf.reshape(outRe, [b, h, w]) as tf.Tensor3D, im: tf.reshape(outIm, [b, h, w]) as tf.Tensor3D };
}

function swapHW(t: tf.Tensor3D): tf.Tensor3D {
  return tf.transpose(t, [0, 2, 1]);
}

function transform(re: tf.Tensor3D, im: tf.Tensor3D | undefined, sign: 1 | -1, where: string): ComplexMaps {
  if (re.rank !== 3) throw new Error(`${where}: expected maps of shape [B, H, W], got [${re.shape.join(', ')}]`);
  if (im && (im.rank !== 3 || im.shape.some((d, i) => d !== re.shape[i]))) {
    throw new Error(`${where}: real part [${re.shape.join(', ')}] and imaginary part [${im.shape.join(', ')}] differ in shape`);
  }
  return tf.tidy(() => {
    const a = lastAxis(re, im ?? null, sign); // along W
    const b = lastAxis(swapHW(a.re), swapHW(a.im), sign); // along H
    let outRe = swapHW(b.re);
    let outIm = swapHW(b.im);
    if (sign === -1) {
      const k = 1 / (re.shape[1] * re.shape[2]);
      outRe = tf.mul(outRe, k);
      outIm = tf.mul(outIm, k);
    }
    return { re: outRe, im: outIm };
  });
}

/** Forward 2-D DFT of each [H, W] map (imaginary part optional, default 0). The caller owns the result. */
export function dft2d(re: tf.Tensor3D, im?: tf.Tensor3D): ComplexMaps {
  return transform(re, im, 1, 'dft2d');
}

/** Inverse 2-D DFT (with the 1/(H·W) factor): idft2d(dft2d(x)) = x. The caller owns the result. */
export function idft2d(re: tf.Tensor3D, im: tf.Tensor3D): ComplexMaps {
  return transform(re, im, -1, 'idft2d');
}
