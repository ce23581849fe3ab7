// Views of the TF.js wasm heap as ATen tensors (no copy) and argument helpers shared by the kernels.
//
// Every kernel receives the wasm heap (a Uint8Array over the module's memory, shared or not) and byte
// offsets of its tensors in it. The TS side allocates every output on the wasm heap before the call, so
// the heap cannot grow (and move) while native code holds pointers into it.
// NHWC data is exposed as an NCHW tensor with channels-last strides (H·W·C, 1, W·C, C): the same memory.
#pragma once
#include <napi.h>
#include <ATen/core/Tensor.h>
#include <cstdint>
#include <vector>

namespace prunekit {

struct Heap {
  uint8_t* base = nullptr;
  size_t size = 0;
};

/** The heap from a Uint8Array argument. */
Heap heapArg(const Napi::CallbackInfo& info, size_t i);
int64_t intArg(const Napi::CallbackInfo& info, size_t i);
double numberArg(const Napi::CallbackInfo& info, size_t i);
bool boolArg(const Napi::CallbackInfo& info, size_t i);
std::vector<int64_t> intsArg(const Napi::CallbackInfo& info, size_t i);

/** float32 pointer at byte offset `offset`, bounds-checked for `count` floats. */
float* f32At(const Heap& heap, int64_t offset, int64_t count);

int64_t numel(const std::vector<int64_t>& shape);

/** A contiguous float32 tensor of `shape` over heap memory at `offset`. */
at::Tensor viewContiguous(const Heap& heap, int64_t offset, const std::vector<int64_t>& shape);
/** NHWC [n,h,w,c] memory as an NCHW tensor with channels-last strides. */
at::Tensor viewNhwc(const Heap& heap, int64_t offset, const std::vector<int64_t>& nhwc);
/** HWIO [kh,kw,ci,co] conv filter memory as an OIHW tensor (strided view). */
at::Tensor viewHwio(const Heap& heap, int64_t offset, const std::vector<int64_t>& hwio);
/** Depthwise [kh,kw,ci,m] filter memory as an OIHW grouped filter [ci·m, 1, kh, kw] (strided view). */
at::Tensor viewDepthwise(const Heap& heap, int64_t offset, const std::vector<int64_t>& hwcm);

/**
 * Splits TF's pads (before, after) of one axis into ATen's symmetric pad and an explicit remainder
 * (extraBefore/extraAfter, negative = crop): equal pads, or a tail shorter than the stride (ATen's floor
 * division drops it), need no explicit pad. `maxSym` caps the symmetric part (pooling: half the window).
 */
struct AxisPads {
  int64_t sym, extraBefore, extraAfter;
};
AxisPads axisPads(int64_t before, int64_t after, int64_t stride, int64_t maxSym);

/** Applies an activation in place: 0 linear, 1 relu, 2 relu6, 3 elu, 4 sigmoid, 5 leakyrelu(alpha). */
void applyActivation(at::Tensor& t, int64_t activation, double alpha);

/** Runs `body`, turning C++ exceptions (c10::Error included) into JS errors naming `what`. */
template <typename F>
Napi::Value guarded(const Napi::CallbackInfo& info, const char* what, F body) {
  try {
    body();
  } catch (const Napi::Error&) {
    throw;
  } catch (const std::exception& e) {
    std::string msg = e.what();
    auto cut = msg.find("\nException raised from");
    if (cut != std::string::npos) msg = msg.substr(0, cut);
    throw Napi::Error::New(info.Env(), std::string("prunekit native ") + what + ": " + msg);
  }
  return info.Env().Undefined();
}

}  // namespace prunekit
