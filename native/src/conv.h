#pragma once
#include "heap.h"

namespace prunekit {
// conv2d(heap, x, xShape, w, wShape, y, yShape, geometry, depthwise, bias, biasLen, activation, alpha)
Napi::Value Conv2D(const Napi::CallbackInfo& info);
// conv2dBackpropInput(heap, dy, dyShape, w, wShape, dx, dxShape, geometry, depthwise)
Napi::Value Conv2DBackpropInput(const Napi::CallbackInfo& info);
// conv2dBackpropFilter(heap, x, xShape, dy, dyShape, dw, dwShape, geometry, depthwise)
Napi::Value Conv2DBackpropFilter(const Napi::CallbackInfo& info);
}  // namespace prunekit
