#pragma once
#include "heap.h"

namespace prunekit {
// maxPool(heap, x, xShape, y, yShape, geometry)
Napi::Value MaxPool(const Napi::CallbackInfo& info);
// maxPoolGrad(heap, dy, dyShape, x, xShape, dx, geometry)
Napi::Value MaxPoolGrad(const Napi::CallbackInfo& info);
// avgPool(heap, x, xShape, y, yShape, geometry)
Napi::Value AvgPool(const Napi::CallbackInfo& info);
// avgPoolGrad(heap, dy, dyShape, dx, dxShape, geometry)
Napi::Value AvgPoolGrad(const Napi::CallbackInfo& info);
}  // namespace prunekit
