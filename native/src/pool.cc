// Max / average pooling forward and gradients on NHWC wasm-heap memory (ATen channels-last kernels).
// Max pooling: ties go to the first maximum in window order, as in TF.js's cpu backend. Asymmetric pads
// (and pads beyond half the window, which ATen rejects) become an explicit −∞ pad of the input.
// Average pooling excludes padding from the count in the forward pass and includes it in the gradient
// (TF.js's cpu/wasm semantics); only symmetric pads ≤ half the window
// come here (the TS side keeps the wasm kernels for the rest).
#include "pool.h"

#include <ATen/ops/avg_pool2d.h>
#include <ATen/ops/avg_pool2d_backward.h>
#include <ATen/ops/constant_pad_nd.h>
#include <ATen/ops/max_pool2d_with_indices.h>
#include <ATen/ops/max_pool2d_with_indices_backward.h>
#include <algorithm>
#include <limits>

namespace prunekit {
namespace {

struct PoolGeometry {
  int64_t kH, kW, sH, sW, symH, symW;
  std::vector<int64_t> extra;  // left, right, top, bottom
  bool padded;
};

PoolGeometry poolGeometry(const std::vector<int64_t>& g) {
  if (g.size() != 8) throw std::runtime_error("pool geometry must be [kH,kW,sH,sW,top,bottom,left,right]");
  PoolGeometry r;
  r.kH = g[0]; r.kW = g[1]; r.sH = g[2]; r.sW = g[3];
  const AxisPads h = axisPads(g[4], g[5], r.sH, r.kH / 2);
  const AxisPads w = axisPads(g[6], g[7], r.sW, r.kW / 2);
  r.symH = h.sym;
  r.symW = w.sym;
  r.extra = {w.extraBefore, w.extraAfter, h.extraBefore, h.extraAfter};
  r.padded = r.extra[0] != 0 || r.extra[1] != 0 || r.extra[2] != 0 || r.extra[3] != 0;
  return r;
}

at::Tensor padMax(const at::Tensor& x, const PoolGeometry& g) {
  if (!g.padded) return x;
  return at::constant_pad_nd(x, g.extra, -std::numeric_limits<double>::infinity()).contiguous(at::MemoryFormat::ChannelsLast);
}

}  // namespace

Napi::Value MaxPool(const Napi::CallbackInfo& info) {
  return guarded(info, "maxPool", [&] {
    const Heap heap = heapArg(info, 0);
    const PoolGeometry g = poolGeometry(intsArg(info, 5));
    at::Tensor x = padMax(viewNhwc(heap, intArg(info, 1), intsArg(info, 2)), g);
    at::Tensor y = viewNhwc(heap, intArg(info, 3), intsArg(info, 4));
    auto r = at::max_pool2d_with_indices(x, {g.kH, g.kW}, {g.sH, g.sW}, {g.symH, g.symW}, {1, 1}, false);
    y.copy_(std::get<0>(r));
  });
}

// maxPoolGrad(heap, dy, dyShape, x, xShape, dx, geometry)
Napi::Value MaxPoolGrad(const Napi::CallbackInfo& info) {
  return guarded(info, "maxPoolGrad", [&] {
    const Heap heap = heapArg(info, 0);
    const auto xShape = intsArg(info, 4);
    const PoolGeometry g = poolGeometry(intsArg(info, 6));
    at::Tensor dy = viewNhwc(heap, intArg(info, 1), intsArg(info, 2));
    at::Tensor x = padMax(viewNhwc(heap, intArg(info, 3), xShape), g);
    at::Tensor dx = viewNhwc(heap, intArg(info, 5), xShape);
    auto r = at::max_pool2d_with_indices(x, {g.kH, g.kW}, {g.sH, g.sW}, {g.symH, g.symW}, {1, 1}, false);
    at::Tensor gx = at::max_pool2d_with_indices_backward(dy, x, {g.kH, g.kW}, {g.sH, g.sW}, {g.symH, g.symW}, {1, 1}, false,
                                                         std::get<1>(r));
    if (g.padded) gx = at::constant_pad_nd(gx, {-g.extra[0], -g.extra[1], -g.extra[2], -g.extra[3]}, 0);
    dx.copy_(gx);
  });
}

Napi::Value AvgPool(const Napi::CallbackInfo& info) {
  return guarded(info, "avgPool", [&] {
    const Heap heap = heapArg(info, 0);
    const PoolGeometry g = poolGeometry(intsArg(info, 5));
    if (g.padded) throw std::runtime_error("avgPool: asymmetric pads are not supported natively");
    at::Tensor x = viewNhwc(heap, intArg(info, 1), intsArg(info, 2));
    at::Tensor y = viewNhwc(heap, intArg(info, 3), intsArg(info, 4));
    y.copy_(at::avg_pool2d(x, {g.kH, g.kW}, {g.sH, g.sW}, {g.symH, g.symW}, false, false, c10::nullopt));
  });
}

// avgPoolGrad(heap, dy, dyShape, dx, dxShape, geometry)
Napi::Value AvgPoolGrad(const Napi::CallbackInfo& info) {
  return guarded(info, "avgPoolGrad", [&] {
    const Heap heap = heapArg(info, 0);
    const PoolGeometry g = poolGeometry(intsArg(info, 5));
    if (g.padded) throw std::runtime_error("avgPoolGrad: asymmetric pads are not supported natively");
    at::Tensor dy = viewNhwc(heap, intArg(info, 1), intsArg(info, 2));
    at::Tensor dx = viewNhwc(heap, intArg(info, 3), intsArg(info, 4));
    // only the input's sizes and memory format are used. TF.js's AvgPoolGrad (cpu and wasm) divides by the
    // whole window, padding included, though its forward excludes padding: count_include_pad = true matches it.
    at::Tensor gx = at::avg_pool2d_backward(dy, dx, {g.kH, g.kW}, {g.sH, g.sW}, {g.symH, g.symW}, false, true, c10::nullopt);
    dx.copy_(gx);
  });
}

}  // namespace prunekit
