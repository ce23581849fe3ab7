// Fused Adam update, one pass over (w, g, m, v) → (w', m', v') in float32, with the arithmetic of
// tf.train.adam (tfjs-core 4.22 AdamOptimizer.applyGradients):
//   m' = β1·m + (1−β1)·g;  v' = β2·v + (1−β2)·g²
//   w' = w − lr · (m'/(1−β1ᵗ)) / (√(v'/(1−β2ᵗ)) + ε)
// split over libtorch's intra-op threads.
#include "optimizer.h"

#include <ATen/Parallel.h>
#include <cmath>

namespace prunekit {

// adam(heap, w, g, m, v, wOut, mOut, vOut, n, lr, beta1, beta2, epsilon, oneMinusAccBeta1, oneMinusAccBeta2)
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
    at::parallel_for(0, n, 1 << 15, [&](int64_t begin, int64_t end) {
      for (int64_t i = begin; i < end; i++) {
        const float gi = g[i];
        const float mi = m[i] * b1 + gi * omb1;
        const float vi = v[i] * b2 + (gi * gi) * omb2;
        mOut[i] = mi;
        vOut[i] = vi;
        wOut[i] = ((mi / c1) / (std::sqrt(vi / c2) + eps)) * negLr + w[i];
      }
    });
  });
}

}  // namespace prunekit
