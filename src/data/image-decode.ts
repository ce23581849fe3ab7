/**
 * PNG / JPEG file → H·W·C bytes at a target size, with sharp (libvips, native build shipped as npm
 * packages) or, when sharp cannot load on this platform, pngjs + jpeg-js with tf.image.cropAndResize.
 *
 * Steps, both decoders: decode → drop alpha → RGB (grey files are replicated) → fit to H×W →
 * grey when the model takes 1 channel. Fits:
 *   crop     scale so the image covers H×W, then take the centre H×W (aspect kept; sharp fit 'cover')
 *   stretch  scale each axis to H×W (aspect not kept; Keras image_dataset_from_directory's default)
 *   none     no resizing: an image of another size is an error naming the file and the flag
 * Grey is computed on the fitted RGB bytes as 0.299 R + 0.587 G + 0.114 B (ITU-R BT.601, as
 * tf.image.rgb_to_grayscale and PIL's convert('L')), so both decoders agree.
 * The format is recognised by the file's first bytes, not its extension.
 */
import { readFile } from 'node:fs/promises';
import * as tf from '@tensorflow/tfjs';

export type ImageFit = 'crop' | 'stretch' | 'none';
export const IMAGE_FITS: readonly ImageFit[] = ['crop', 'stretch', 'none'];

export interface DecodeTarget {
  height: number;
  width: number;
  /** 1 (grey) or 3 (RGB). */
  channels: number;
  fit: ImageFit;
}

export interface ImageDecoder {
  name: 'sharp' | 'pngjs+jpeg-js';
  /** The file's pixel size (reads the header only where the decoder allows). */
  size(path: string): Promise<{ height: number; width: number }>;
  /** H·W·C bytes of the file fitted to `target`. */
  decode(path: string, target: DecodeTarget): Promise<Uint8Array>;
}

type SharpFn = (input: string | Buffer, opts?: Record<string, unknown>) => SharpChain;
interface SharpChain {
  removeAlpha(): SharpChain;
  toColourspace(c: string): SharpChain;
  resize(w: number, h: number, o: Record<string, unknown>): SharpChain;
  raw(o?: Record<string, unknown>): SharpChain;
  metadata(): Promise<{ width?: number; height?: number; format?: string }>;
  toBuffer(o: { resolveWithObject: true }): Promise<{ data: Buffer; info: { width: number; height: number; channels: number } }>;
}

function fail(path: string, why: string): Error {
  return new Error(`cannot read image ${path}: ${why}`);
}

function sizeError(path: string, got: { height: number; width: number }, t: DecodeTarget): Error {
  return new Error(
    `image ${path} is ${got.height}×${got.width} but the model takes ${t.height}×${t.width} and --resize none forbids resizing; use --resize crop or --resize stretch`,
  );
}

export function imageKind(bytes: Uint8Array): 'png' | 'jpeg' | undefined {
  if (bytes.length >= 8 && bytes[0] === 0x89 && bytes[1] === 0x50 && bytes[2] === 0x4e && bytes[3] === 0x47) return 'png';
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'jpeg';
  return undefined;
}

/** RGB bytes (H·W·3) → grey bytes (H·W), BT.601 weights, rounded. */
export function rgbToGrey(rgb: Uint8Array): Uint8Array {
  const n = rgb.length / 3;
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.round(0.299 * rgb[3 * i] + 0.587 * rgb[3 * i + 1] + 0.114 * rgb[3 * i + 2]);
  return out;
}

/** The centre box (fractions of the source) that has the target's aspect ratio: the 'crop' fit. */
export function centreCropBox(h: number, w: number, th: number, tw: number): { y0: number; x0: number; y1: number; x1: number } {
  const scale = Math.max(th / h, tw / w);
  const ch = th / scale / h;
  const cw = tw / scale / w;
  return { y0: (1 - ch) / 2, x0: (1 - cw) / 2, y1: (1 + ch) / 2, x1: (1 + cw) / 2 };
}

function finish(rgb: Uint8Array, t: DecodeTarget): Uint8Array {
  return t.channels === 1 ? rgbToGrey(rgb) : rgb;
}

function checkTarget(t: DecodeTarget): void {
  if (t.channels !== 1 && t.channels !== 3) {
    throw new Error(`images can be fed to models with 1 (grey) or 3 (RGB) input channels, not ${t.channels}`);
  }
}

async function sharpDecoder(sharp: SharpFn): Promise<ImageDecoder> {
  return {
    name: 'sharp',
    async size(path) {
      let m: { width?: number; height?: number; format?: string };
      try {
        m = await sharp(path).metadata();
      } catch (e) {
        throw fail(path, (e as Error).message);
      }
      if (m.format !== 'png' && m.format !== 'jpeg') throw fail(path, `not a PNG or JPEG file (${m.format ?? 'unknown format'})`);
      return { height: m.height ?? 0, width: m.width ?? 0 };
    },
    async decode(path, t) {
      checkTarget(t);
      const head = await readFile(path);
      if (!imageKind(head)) throw fail(path, 'not a PNG or JPEG file');
      try {
        let chain = sharp(head, { failOn: 'error' }).removeAlpha().toColourspace('srgb');
        const meta = await sharp(head).metadata();
        const got = { height: meta.height ?? 0, width: meta.width ?? 0 };
        if (got.height !== t.height || got.width !== t.width) {
          if (t.fit === 'none') throw sizeError(path, got, t);
          chain = chain.resize(t.width, t.height, { fit: t.fit === 'crop' ? 'cover' : 'fill', position: 'centre', kernel: 'linear' });
        }
        const { data, info } = await chain.raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
        if (info.channels !== 3 || info.width !== t.width || info.height !== t.height) {
          throw fail(path, `decoded to ${info.height}×${info.width}×${info.channels}, expected ${t.height}×${t.width}×3`);
        }
        return finish(new Uint8Array(data.buffer, data.byteOffset, data.length), t);
      } catch (e) {
        const msg = (e as Error).message;
        throw msg.startsWith('cannot read image') || msg.startsWith('image ') ? e : fail(path, msg);
      }
    },
  };
}

/** pngjs / jpeg-js decode to RGB bytes. */
async function decodeJs(path: string): Promise<{ rgb: Uint8Array; height: number; width: number }> {
  const bytes = await readFile(path);
  const kind = imageKind(bytes);
  if (!kind) throw fail(path, 'not a PNG or JPEG file');
  let rgba: Uint8Array;
  let width: number;
  let height: number;
  let stride: number;
  try {
    if (kind === 'png') {
      const { PNG } = await import('pngjs');
      const png = PNG.sync.read(bytes);
      rgba = new Uint8Array(png.data.buffer, png.data.byteOffset, png.data.length);
      ({ width, height } = png);
      stride = 4;
    } else {
      const jpeg = (await import('jpeg-js')).default;
      const img = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: false, tolerantDecoding: false });
      rgba = img.data;
      ({ width, height } = img);
      stride = rgba.length / (width * height);
    }
  } catch (e) {
    throw fail(path, (e as Error).message);
  }
  const rgb = new Uint8Array(width * height * 3);
  for (let i = 0, j = 0; i < rgb.length; i += 3, j += stride) {
    rgb[i] = rgba[j];
    rgb[i + 1] = rgba[j + (stride >= 3 ? 1 : 0)];
    rgb[i + 2] = rgba[j + (stride >= 3 ? 2 : 0)];
  }
  return { rgb, height, width };
}

const jsDecoder: ImageDecoder = {
  name: 'pngjs+jpeg-js',
  async size(path) {
    const { height, width } = await decodeJs(path);
    return { height, width };
  },
  async decode(path, t) {
    checkTarget(t);
    const { rgb, height, width } = await decodeJs(path);
    if (height === t.height && width === t.width) return finish(rgb, t);
    if (t.fit === 'none') throw sizeError(path, { height, width }, t);
    const box = t.fit === 'crop' ? centreCropBox(height, width, t.height, t.width) : { y0: 0, x0: 0, y1: 1, x1: 1 };
    // cropAndResize samples rows y1·(H−1) … y2·(H−1) (pixel-index coordinates); choose y1, y2 so the
    // samples fall at the half-pixel centres a + (i + ½)·s − ½ of the region [a, b), s = (b − a)/th.
    const edges = (a: number, b: number, n: number, t: number): [number, number] => {
      const s = (b - a) / t;
      const d = Math.max(1, n - 1);
      return [(a + s / 2 - 0.5) / d, (b - s / 2 - 0.5) / d];
    };
    const [y1, y2] = edges(box.y0 * height, box.y1 * height, height, t.height);
    const [x1, x2] = edges(box.x0 * width, box.x1 * width, width, t.width);
    const boxes = [[y1, x1, y2, x2]];
    const out = tf.tidy(() => {
      const img = tf.tensor4d(Float32Array.from(rgb), [1, height, width, 3]);
      return tf.image.cropAndResize(img, tf.tensor2d(boxes), tf.tensor1d([0], 'int32'), [t.height, t.width], 'bilinear').round().clipByValue(0, 255);
    });
    const vals = out.dataSync();
    out.dispose();
    return finish(Uint8Array.from(vals), t);
  },
};

let cached: Promise<ImageDecoder> | undefined;

/**
 * The image decoder: sharp when it loads, else pngjs + jpeg-js. `prefer: 'js'` (or env
 * PRUNEKIT_IMAGE_DECODER=js) forces the pure-JS one.
 */
export function imageDecoder(prefer?: 'sharp' | 'js'): Promise<ImageDecoder> {
  const want = prefer ?? (process.env.PRUNEKIT_IMAGE_DECODER === 'js' ? 'js' : 'sharp');
  if (want === 'js') return Promise.resolve(jsDecoder);
  cached ??= import('sharp').then(
    (m) => sharpDecoder((m.default ?? m) as unknown as SharpFn),
    () => jsDecoder,
  );
  return cached;
}
