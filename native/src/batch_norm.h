#pragma once
#include "heap.h"

namespace prunekit {
// batchNormTrain(heap, x, xShape, gamma, beta, y, mean, variance, epsilon)
Napi::Value BatchNormTrain(const Napi::CallbackInfo& info);
// batchNormTrainGrad(heap, x, xShape, gamma, mean, variance, dy, dmean, dvariance, dx, dgamma, dbeta, epsilon)
Napi::Value BatchNormTrainGrad(const Napi::CallbackInfo& info);
}  // namespace prunekit
