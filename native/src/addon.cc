// prunekit's native kernel provider: libtorch (ATen) kernels that run on TF.js wasm-heap memory.
// Loaded by src/backend/native/addon.ts; see native/README section in the project README.
#include <napi.h>
#include <ATen/Parallel.h>
#include <torch/csrc/api/include/torch/version.h>
#include <ATen/Version.h>
#include <dlfcn.h>

#include "batch_norm.h"
#include "conv.h"
#include "matmul.h"
#include "optimizer.h"
#include "pool.h"

namespace prunekit {
namespace {

using OpenBlasSetThreads = void (*)(int);

/** One setting for every pool libtorch may use: intra-op (OpenMP, oneDNN) and OpenBLAS's own. */
Napi::Value SetThreads(const Napi::CallbackInfo& info) {
  return guarded(info, "setThreads", [&] {
    const int64_t n = intArg(info, 0);
    if (n < 1) throw std::runtime_error("threads must be ≥ 1");
    at::set_num_threads(static_cast<int>(n));
    if (auto f = reinterpret_cast<OpenBlasSetThreads>(dlsym(RTLD_DEFAULT, "openblas_set_num_threads"))) f(static_cast<int>(n));
  });
}

Napi::Value Info(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object o = Napi::Object::New(env);
  o.Set("torchVersion", TORCH_VERSION);
  o.Set("threads", at::get_num_threads());
  o.Set("parallel", at::get_parallel_info());
  o.Set("config", at::show_config());
  o.Set("openblas", dlsym(RTLD_DEFAULT, "openblas_set_num_threads") != nullptr);
  return o;
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("setThreads", Napi::Function::New(env, SetThreads));
  exports.Set("info", Napi::Function::New(env, Info));
  exports.Set("conv2d", Napi::Function::New(env, Conv2D));
  exports.Set("conv2dBackpropInput", Napi::Function::New(env, Conv2DBackpropInput));
  exports.Set("conv2dBackpropFilter", Napi::Function::New(env, Conv2DBackpropFilter));
  exports.Set("matMul", Napi::Function::New(env, MatMul));
  exports.Set("batchNormTrain", Napi::Function::New(env, BatchNormTrain));
  exports.Set("batchNormTrainGrad", Napi::Function::New(env, BatchNormTrainGrad));
  exports.Set("maxPool", Napi::Function::New(env, MaxPool));
  exports.Set("maxPoolGrad", Napi::Function::New(env, MaxPoolGrad));
  exports.Set("avgPool", Napi::Function::New(env, AvgPool));
  exports.Set("avgPoolGrad", Napi::Function::New(env, AvgPoolGrad));
  exports.Set("adam", Napi::Function::New(env, Adam));
  return exports;
}

}  // namespace
}  // namespace prunekit

static Napi::Object InitAddon(Napi::Env env, Napi::Object exports) { return prunekit::Init(env, exports); }

NODE_API_MODULE(prunekit_native, InitAddon)
