/** Test helpers: tiny PNG / JPEG files and class-per-folder trees with known pixels. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';

/** RGB bytes (H·W·3) whose pixel (y, x) of image `seed` is a fixed function of (seed, y, x, c). */
export function rgbPattern(h: number, w: number, seed: number): Uint8Array {
  const out = new Uint8Array(h * w * 3);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) for (let c = 0; c < 3; c++) out[(y * w + x) * 3 + c] = (seed * 37 + y * 11 + x * 5 + c * 71) % 256;
  return out;
}

export function pngBytes(rgb: Uint8Array, h: number, w: number, alpha = 255): Buffer {
  const png = new PNG({ width: w, height: h });
  for (let i = 0; i < h * w; i++) {
    png.data[4 * i] = rgb[3 * i];
    png.data[4 * i + 1] = rgb[3 * i + 1];
    png.data[4 * i + 2] = rgb[3 * i + 2];
    png.data[4 * i + 3] = alpha;
  }
  return PNG.sync.write(png);
}

export function jpegBytes(rgb: Uint8Array, h: number, w: number, quality = 95): Buffer {
  const data = Buffer.alloc(h * w * 4);
  for (let i = 0; i < h * w; i++) {
    data[4 * i] = rgb[3 * i];
    data[4 * i + 1] = rgb[3 * i + 1];
    data[4 * i + 2] = rgb[3 * i + 2];
    data[4 * i + 3] = 255;
  }
  return jpeg.encode({ data, width: w, height: h }, quality).data;
}

/**
 * DIR/<class>/<class>-<i>.png for each class, `perClass` images of h×w; returns each file's RGB bytes
 * by path. `sizes` overrides the size of image i.
 */
export function writeImageTree(dir: string, classes: string[], perClass: number, h: number, w: number, sizes: Record<number, [number, number]> = {}): Map<string, { rgb: Uint8Array; h: number; w: number }> {
  const files = new Map<string, { rgb: Uint8Array; h: number; w: number }>();
  classes.forEach((name, k) => {
    mkdirSync(join(dir, name), { recursive: true });
    for (let i = 0; i < perClass; i++) {
      const [hh, ww] = sizes[i] ?? [h, w];
      const rgb = rgbPattern(hh, ww, k * 100 + i);
      const path = join(dir, name, `${name}-${i}.png`);
      writeFileSync(path, pngBytes(rgb, hh, ww));
      files.set(path, { rgb, h: hh, w: ww });
    }
  });
  return files;
}
