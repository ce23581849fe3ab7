// Fused optimiser updates, one pass per variable in float32 over libtorch's intra-op threads, with the
// arithmetic of prunekit's wasm kernels (src/backend/kernels/simd/fused-update.ts = tfjs-core 4.22's
// optimisers op by op, plus coupled L2 g' = g + wd·x):
//   Adam      m' = β1·m + (1−β1)·g';  v' = β2·v + (1−β2)·g'²;  x' = ((m'/(1−β1ᵗ)) / (√(v'/(1−β2ᵗ)) + ε))·(−lr) + x
//   momentum  a' = μ·a + g';  x' = (−lr)·a' + x;  Nesterov: x' = (−lr)·(g' + a'·μ) + x;  SGD: x' = (−lr)·g' + x
#include "optimizer.h"

#include <ATen/Parallel.h>
#include <cmath>

namespace prunekit {

// adam(heap, w, g, m, v, wOut, mOut, vOut, n, lr, beta1, beta2, epsilon, oneMinusAccBeta1, oneMinusAccBeta2, weightDecay)
Napi::Value Adam(const Napi::CallbackInfo& info) {
  return guarded(info, "adam", [&] {
    const Heap heap = heapArg(info, 0);
    const int64_t n = intArg(info, 8);
    const float* w = f32At(heap, intArg(info, 1), n);
    const float* g = f32At(heap, intArg(info, 2), n);
    const float* m = f32At(heap, intArg(info, 3), n);
    const float* v = f32At(heap, intArg(info, 4), n);
    float* wOut = f32At(heap, intArg(info, 5), n);
    float* mOut = f32At(heap, intArg(info, 6), n);
    float* vOut = f32At(heap, intArg(info, 7), n);
    const float negLr = -static_cast<float>(numberArg(info, 9));
    const float b1 = static_cast<float>(numberArg(info, 10));
    const float b2 = static_cast<float>(numberArg(info, 11));
    const float eps = static_cast<float>(numberArg(info, 12));
    const float c1 = static_cast<float>(numberArg(info, 13));
    const float c2 = static_cast<float>(numberArg(info, 14));
    const float omb1 = static_cast<float>(1.0 - numberArg(info, 10));
    const float omb2 = static_cast<float>(1.0 - numberArg(info, 11));
    const float wd = static_cast<float>(numberArg(info, 15));
    at::parallel_for(0, n, 1 << 15, [&](int64_t begin, int64_t end) {
      for (int64_t i = begin; i < end; i++) {
        const float gi = g[i] + w[i] * wd;
        const float mi = m[i] * b1 + gi * omb1;
        const float vi = v[i] * b2 + (gi * gi) * omb2;
        mOut[i] = mi;
        vOut[i] = vi;
        wOut[i] = ((mi / c1) / (std::sqrt(vi / c2) + eps)) * negLr + w[i];
      }
    });
  });
}

// momentum(heap, x, g, a (-1: plain SGD), xOut, aOut, n, lr, momentum, nesterov, weightDecay)
Napi::Value Momentum(const Napi::CallbackInfo& info) {
  return guarded(info, "momentum", [&] {
    const Heap heap = heapArg(info, 0);
    const int64_t n = intArg(info, 6);
    const bool withAcc = intArg(info, 3) >= 0;
    const float* x = f32At(heap, intArg(info, 1), n);
    const float* g = f32At(heap, intArg(info, 2), n);
    const float* a = withAcc ? f32At(heap, intArg(info, 3), n) : nullptr;
    float* xOut = f32At(heap, intArg(info, 4), n);
    float* aOut = withAcc ? f32At(heap, intArg(info, 5), n) : nullptr;
    const float negLr = -static_cast<float>(numberArg(info, 7));
    const float mom = static_cast<float>(numberArg(info, 8));
    const bool nesterov = boolArg(info, 9);
    const float wd = static_cast<float>(numberArg(info, 10));
    at::parallel_for(0, n, 1 << 15, [&](int64_t begin, int64_t end) {
      for (int64_t i = begin; i < end; i++) {
        const float gi = g[i] + x[i] * wd;
        float step = gi;
        if (withAcc) {
          const float ai = mom * a[i] + gi;
          aOut[i] = ai;
          step = nesterov ? gi + ai * mom : ai;
        }
        xOut[i] = negLr * step + x[i];
      }
    });
  });
}

}  // namespace prunekit
