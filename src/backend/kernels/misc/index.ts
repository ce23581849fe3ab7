/** Other training kernels for wasm (matmul with transposes, pooling grads, Tile, reductions, BN). */
export function registerMiscKernels(): void {}
