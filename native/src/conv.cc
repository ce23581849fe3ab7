// Conv2D / depthwise conv forward and both gradients on NHWC wasm-heap memory through ATen's convolution
// (oneDNN, channels-last). TF pads may be asymmetric; ATen's are symmetric: the symmetric part
// min(before, after) goes to ATen, the rest is an explicit constant pad (or crop, when negative) of the
// input, undone on the input gradient.
#include "conv.h"

#include <ATen/ops/constant_pad_nd.h>
#include <ATen/ops/convolution.h>
#include <ATen/ops/convolution_backward.h>
#include <ATen/ops/empty.h>
#include <algorithm>
#include <cstdint>

namespace prunekit {
namespace {

struct Geometry {
  int64_t sH, sW, dH, dW;
  int64_t symH, symW;  // symmetric pads passed to ATen
  std::vector<int64_t> extra;  // constant_pad_nd order: left, right, top, bottom
  bool padded;
  bool depthwise;
};

Geometry geometry(const std::vector<int64_t>& g, bool depthwise) {
  if (g.size() != 8) throw std::runtime_error("conv geometry must be [sH,sW,dH,dW,top,bottom,left,right]");
  Geometry r;
  r.sH = g[0]; r.sW = g[1]; r.dH = g[2]; r.dW = g[3];
  const AxisPads h = axisPads(g[4], g[5], r.sH, INT64_MAX);
  const AxisPads w = axisPads(g[6], g[7], r.sW, INT64_MAX);
  r.symH = h.sym;
  r.symW = w.sym;
  r.extra = {w.extraBefore, w.extraAfter, h.extraBefore, h.extraAfter};
  r.padded = r.extra[0] != 0 || r.extra[1] != 0 || r.extra[2] != 0 || r.extra[3] != 0;
  r.depthwise = depthwise;
  return r;
}

at::Tensor filterView(const Heap& heap, int64_t off, const std::vector<int64_t>& shape, bool depthwise) {
  return depthwise ? viewDepthwise(heap, off, shape) : viewHwio(heap, off, shape);
}

int64_t groupsOf(const std::vector<int64_t>& xShape, bool depthwise) { return depthwise ? xShape[3] : 1; }

at::Tensor padInput(const at::Tensor& x, const Geometry& g) {
  if (!g.padded) return x;
  return at::constant_pad_nd(x, g.extra, 0).contiguous(at::MemoryFormat::ChannelsLast);
}

}  // namespace

Napi::Value Conv2D(const Napi::CallbackInfo& info) {
  return guarded(info, "conv2d", [&] {
    const Heap heap = heapArg(info, 0);
    const auto xShape = intsArg(info, 2), wShape = intsArg(info, 4), yShape = intsArg(info, 6);
    const bool depthwise = boolArg(info, 8);
    const Geometry g = geometry(intsArg(info, 7), depthwise);
    const int64_t biasOff = intArg(info, 9), biasLen = intArg(info, 10), activation = intArg(info, 11);
    const double alpha = numberArg(info, 12);
    at::Tensor x = padInput(viewNhwc(heap, intArg(info, 1), xShape), g);
    at::Tensor w = filterView(heap, intArg(info, 3), wShape, depthwise).contiguous(at::MemoryFormat::ChannelsLast);
    at::Tensor y = viewNhwc(heap, intArg(info, 5), yShape);
    c10::optional<at::Tensor> bias;
    if (biasOff >= 0 && biasLen == yShape[3]) bias = viewContiguous(heap, biasOff, {biasLen});
    at::Tensor r = at::convolution(x, w, bias, {g.sH, g.sW}, {g.symH, g.symW}, {g.dH, g.dW}, false, {0, 0},
                                   groupsOf(xShape, depthwise));
    if (biasOff >= 0 && biasLen != yShape[3]) {
      // a bias of another broadcastable shape: [.., c] in NHWC = channel-last broadcast
      at::Tensor b = viewContiguous(heap, biasOff, {biasLen});
      if (biasLen != 1) throw std::runtime_error("bias must have 1 or out-channels entries");
      r.add_(b);
    }
    applyActivation(r, activation, alpha);
    y.copy_(r);
  });
}

Napi::Value Conv2DBackpropInput(const Napi::CallbackInfo& info) {
  return guarded(info, "conv2d input gradient", [&] {
    const Heap heap = heapArg(info, 0);
    const auto dyShape = intsArg(info, 2), wShape = intsArg(info, 4), dxShape = intsArg(info, 6);
    const bool depthwise = boolArg(info, 8);
    const Geometry g = geometry(intsArg(info, 7), depthwise);
    at::Tensor dy = viewNhwc(heap, intArg(info, 1), dyShape);
    at::Tensor w = filterView(heap, intArg(info, 3), wShape, depthwise).contiguous(at::MemoryFormat::ChannelsLast);
    at::Tensor dx = viewNhwc(heap, intArg(info, 5), dxShape);
    // only the input's sizes and memory format matter for the input gradient
    std::vector<int64_t> inSizes = {dxShape[0], dxShape[3], dxShape[1] + g.extra[2] + g.extra[3], dxShape[2] + g.extra[0] + g.extra[1]};
    at::Tensor input = g.padded ? at::empty(inSizes, dx.options().memory_format(at::MemoryFormat::ChannelsLast)) : dx;
    auto grads = at::convolution_backward(dy, input, w, c10::nullopt, {g.sH, g.sW}, {g.symH, g.symW}, {g.dH, g.dW}, false,
                                          {0, 0}, groupsOf(dxShape, depthwise), {true, false, false});
    at::Tensor gi = std::get<0>(grads);
    if (g.padded) gi = at::constant_pad_nd(gi, {-g.extra[0], -g.extra[1], -g.extra[2], -g.extra[3]}, 0);
    dx.copy_(gi);
  });
}

Napi::Value Conv2DBackpropFilter(const Napi::CallbackInfo& info) {
  return guarded(info, "conv2d filter gradient", [&] {
    const Heap heap = heapArg(info, 0);
    const auto xShape = intsArg(info, 2), dyShape = intsArg(info, 4), dwShape = intsArg(info, 6);
    const bool depthwise = boolArg(info, 8);
    const Geometry g = geometry(intsArg(info, 7), depthwise);
    at::Tensor x = padInput(viewNhwc(heap, intArg(info, 1), xShape), g);
    at::Tensor dy = viewNhwc(heap, intArg(info, 3), dyShape);
    at::Tensor dw = filterView(heap, intArg(info, 5), dwShape, depthwise);
    // only the weight's sizes and memory format matter for the weight gradient
    at::Tensor weight = at::empty(dw.sizes(), dw.options().memory_format(at::MemoryFormat::ChannelsLast));
    auto grads = at::convolution_backward(dy, x, weight, c10::nullopt, {g.sH, g.sW}, {g.symH, g.symW}, {g.dH, g.dW}, false,
                                          {0, 0}, groupsOf(xShape, depthwise), {false, true, false});
    dw.copy_(std::get<1>(grads));
  });
}

}  // namespace prunekit
