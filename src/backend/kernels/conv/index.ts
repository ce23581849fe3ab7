/** Convolution gradient kernels for wasm (Conv2DBackpropFilter, Conv2DBackpropInput, depthwise). */
export function registerConvGradKernels(): void {}
