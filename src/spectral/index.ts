/** Spectral utilities: orthonormal DCT-II, matrix DFT, FFT-domain low-pass of images, frequency analysis. */
export { dct2d, idct2d, dctMatrix, dctMatrixValues } from './dct.js';
export { dft2d, idft2d, dftMatrixValues, signedFrequency, type ComplexMaps } from './fft.js';
export { lowPassImages, lowPassMaps, maxRadius, radiusMaskValues, keptCoefficients } from './lowpass.js';
export * from './analysis.js';
export { smoothingKernel, squaredDistances, medianDistance, flattenRows, splitBands } from './smoothing-kernel.js';
