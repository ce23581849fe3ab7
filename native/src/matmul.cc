// (Batched) matrix product with transposed operands, optional bias and activation, written straight into
// the output's wasm-heap memory. Transposes are strided views: BLAS takes them as flags, no copy.
#include "matmul.h"

#include <ATen/ops/matmul.h>
#include <ATen/ops/mm.h>
#include <ATen/ops/addmm.h>

namespace prunekit {

Napi::Value MatMul(const Napi::CallbackInfo& info) {
  return guarded(info, "matMul", [&] {
    const Heap heap = heapArg(info, 0);
    const auto aShape = intsArg(info, 2), bShape = intsArg(info, 4), outShape = intsArg(info, 6);
    const bool ta = boolArg(info, 7), tb = boolArg(info, 8);
    const int64_t biasOff = intArg(info, 9);
    const auto biasShape = intsArg(info, 10);
    const int64_t activation = intArg(info, 11);
    const double alpha = numberArg(info, 12);
    at::Tensor a = viewContiguous(heap, intArg(info, 1), aShape);
    at::Tensor b = viewContiguous(heap, intArg(info, 3), bShape);
    at::Tensor out = viewContiguous(heap, intArg(info, 5), outShape);
    if (ta) a = a.transpose(-1, -2);
    if (tb) b = b.transpose(-1, -2);
    if (a.dim() == 2 && b.dim() == 2 && out.dim() == 2) {
      if (biasOff >= 0 && biasShape.size() <= 1) {
        at::Tensor bias = viewContiguous(heap, biasOff, biasShape.empty() ? std::vector<int64_t>{1} : biasShape);
        at::addmm_out(out, bias.expand({outShape[0], outShape[1]}), a, b);
      } else {
        at::mm_out(out, a, b);
        if (biasOff >= 0) out.add_(viewContiguous(heap, biasOff, biasShape));
      }
    } else {
      at::matmul_out(out, a, b);
      if (biasOff >= 0) out.add_(viewContiguous(heap, biasOff, biasShape));
    }
    applyActivation(out, activation, alpha);
  });
}

}  // namespace prunekit
