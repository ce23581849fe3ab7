// Batch normalisation in training mode over the last (channel) axis, forward and backward, with ATen's
// channels-last batch-norm kernels. Matches prunekit's fused op (src/backend/kernels/misc/batch-norm-train.ts):
//   forward  (x, γ, β) → (y, mean, biased variance);  y = (x − mean)·γ/√(variance+ε) + β
//   backward (dy, dmean, dvariance) → (dx, dγ, dβ), including the terms of dmean and dvariance:
//            dx += dmean/N + dvariance·2(x − mean)/N.
#include "batch_norm.h"

#include <ATen/ops/native_batch_norm.h>
#include <ATen/ops/native_batch_norm_backward.h>
#include <cmath>

namespace prunekit {
namespace {

/** x as an ATen batch-norm input: NHWC rank 4 → channels-last NCHW; otherwise [rows, C]. */
at::Tensor bnView(const Heap& heap, int64_t off, const std::vector<int64_t>& shape) {
  if (shape.size() == 4) return viewNhwc(heap, off, shape);
  const int64_t c = shape.back();
  return viewContiguous(heap, off, {c == 0 ? 0 : numel(shape) / c, c});
}

at::Tensor perChannel(const at::Tensor& v, int64_t dim) {
  std::vector<int64_t> s(dim, 1);
  s[1] = v.numel();
  return v.view(s);
}

}  // namespace

Napi::Value BatchNormTrain(const Napi::CallbackInfo& info) {
  return guarded(info, "batchNormTrain", [&] {
    const Heap heap = heapArg(info, 0);
    const auto shape = intsArg(info, 2);
    const int64_t c = shape.back();
    const double eps = numberArg(info, 8);
    at::Tensor x = bnView(heap, intArg(info, 1), shape);
    at::Tensor gamma = viewContiguous(heap, intArg(info, 3), {c});
    at::Tensor beta = viewContiguous(heap, intArg(info, 4), {c});
    at::Tensor y = bnView(heap, intArg(info, 5), shape);
    at::Tensor mean = viewContiguous(heap, intArg(info, 6), {c});
    at::Tensor variance = viewContiguous(heap, intArg(info, 7), {c});
    auto r = at::native_batch_norm(x, gamma, beta, c10::nullopt, c10::nullopt, true, 0.0, eps);
    y.copy_(std::get<0>(r));
    mean.copy_(std::get<1>(r));
    // save_invstd = 1/√(var+ε) → biased variance
    variance.copy_(std::get<2>(r).pow(-2).sub_(eps).clamp_min_(0));
  });
}

Napi::Value BatchNormTrainGrad(const Napi::CallbackInfo& info) {
  return guarded(info, "batchNormTrainGrad", [&] {
    const Heap heap = heapArg(info, 0);
    const auto shape = intsArg(info, 2);
    const int64_t c = shape.back();
    const int64_t rows = c == 0 ? 0 : numel(shape) / c;
    const double eps = numberArg(info, 12);
    at::Tensor x = bnView(heap, intArg(info, 1), shape);
    at::Tensor gamma = viewContiguous(heap, intArg(info, 3), {c});
    at::Tensor mean = viewContiguous(heap, intArg(info, 4), {c});
    at::Tensor variance = viewContiguous(heap, intArg(info, 5), {c});
    at::Tensor dy = bnView(heap, intArg(info, 6), shape);
    const float* dmean = f32At(heap, intArg(info, 7), c);
    const float* dvar = f32At(heap, intArg(info, 8), c);
    at::Tensor dx = bnView(heap, intArg(info, 9), shape);
    at::Tensor dgamma = viewContiguous(heap, intArg(info, 10), {c});
    at::Tensor dbeta = viewContiguous(heap, intArg(info, 11), {c});
    at::Tensor invstd = variance.add(eps).rsqrt_();
    auto r = at::native_batch_norm_backward(dy, x, gamma, c10::nullopt, c10::nullopt, mean, invstd, true, eps, {true, true, true});
    at::Tensor gx = std::get<0>(r);
    bool statsGrad = false;
    for (int64_t k = 0; k < c && !statsGrad; k++) statsGrad = dmean[k] != 0.f || dvar[k] != 0.f;
    if (statsGrad && rows > 0) {
      at::Tensor gm = viewContiguous(heap, intArg(info, 7), {c}).div(static_cast<double>(rows));
      at::Tensor gv = viewContiguous(heap, intArg(info, 8), {c}).mul(2.0 / static_cast<double>(rows));
      const int64_t d = x.dim();
      gx = gx.add(x.sub(perChannel(mean, d)).mul_(perChannel(gv, d))).add_(perChannel(gm, d));
    }
    dx.copy_(gx);
    dgamma.copy_(std::get<1>(r));
    dbeta.copy_(std::get<2>(r));
  });
}

}  // namespace prunekit
