#pragma once
#include "heap.h"

namespace prunekit {
// matMul(heap, a, aShape, b, bShape, out, outShape, transposeA, transposeB, bias(-1 = none), biasShape, activation, alpha)
Napi::Value MatMul(const Napi::CallbackInfo& info);
}  // namespace prunekit
