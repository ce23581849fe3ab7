#include "heap.h"

#include <ATen/ops/from_blob.h>
#include <ATen/ops/clamp.h>
#include <ATen/ops/elu.h>
#include <ATen/ops/leaky_relu.h>
#include <ATen/ops/relu.h>
#include <ATen/ops/sigmoid.h>
#include <algorithm>
#include <stdexcept>
#include <string>

namespace prunekit {

Heap heapArg(const Napi::CallbackInfo& info, size_t i) {
  if (!info[i].IsTypedArray()) throw Napi::TypeError::New(info.Env(), "expected the wasm heap (a Uint8Array) as argument " + std::to_string(i));
  auto arr = info[i].As<Napi::Uint8Array>();
  Heap h;
  h.base = arr.Data();
  h.size = arr.ByteLength();
  if (h.base == nullptr) throw Napi::TypeError::New(info.Env(), "the wasm heap has no memory (detached?)");
  return h;
}

int64_t intArg(const Napi::CallbackInfo& info, size_t i) {
  if (!info[i].IsNumber()) throw Napi::TypeError::New(info.Env(), "expected a number as argument " + std::to_string(i));
  return info[i].As<Napi::Number>().Int64Value();
}

double numberArg(const Napi::CallbackInfo& info, size_t i) {
  if (!info[i].IsNumber()) throw Napi::TypeError::New(info.Env(), "expected a number as argument " + std::to_string(i));
  return info[i].As<Napi::Number>().DoubleValue();
}

bool boolArg(const Napi::CallbackInfo& info, size_t i) { return info[i].ToBoolean().Value(); }

std::vector<int64_t> intsArg(const Napi::CallbackInfo& info, size_t i) {
  if (!info[i].IsArray()) throw Napi::TypeError::New(info.Env(), "expected an array of integers as argument " + std::to_string(i));
  auto arr = info[i].As<Napi::Array>();
  std::vector<int64_t> out(arr.Length());
  for (uint32_t k = 0; k < arr.Length(); k++) out[k] = arr.Get(k).As<Napi::Number>().Int64Value();
  return out;
}

int64_t numel(const std::vector<int64_t>& shape) {
  int64_t n = 1;
  for (auto d : shape) n *= d;
  return n;
}

float* f32At(const Heap& heap, int64_t offset, int64_t count) {
  if (offset < 0 || offset % 4 != 0 || count < 0 ||
      static_cast<uint64_t>(offset) + static_cast<uint64_t>(count) * 4 > heap.size) {
    throw std::runtime_error("tensor at heap offset " + std::to_string(offset) + " with " + std::to_string(count) +
                             " floats lies outside the wasm heap (" + std::to_string(heap.size) + " bytes)");
  }
  return reinterpret_cast<float*>(heap.base + offset);
}

static at::TensorOptions f32() { return at::TensorOptions().dtype(at::kFloat); }

at::Tensor viewContiguous(const Heap& heap, int64_t offset, const std::vector<int64_t>& shape) {
  return at::from_blob(f32At(heap, offset, numel(shape)), shape, f32());
}

at::Tensor viewNhwc(const Heap& heap, int64_t offset, const std::vector<int64_t>& s) {
  if (s.size() != 4) throw std::runtime_error("expected a rank-4 NHWC tensor");
  const int64_t n = s[0], h = s[1], w = s[2], c = s[3];
  return at::from_blob(f32At(heap, offset, numel(s)), {n, c, h, w}, {h * w * c, 1, w * c, c}, f32());
}

at::Tensor viewHwio(const Heap& heap, int64_t offset, const std::vector<int64_t>& s) {
  if (s.size() != 4) throw std::runtime_error("expected a rank-4 HWIO filter");
  const int64_t kh = s[0], kw = s[1], ci = s[2], co = s[3];
  return at::from_blob(f32At(heap, offset, numel(s)), {co, ci, kh, kw}, {1, co, kw * ci * co, ci * co}, f32());
}

at::Tensor viewDepthwise(const Heap& heap, int64_t offset, const std::vector<int64_t>& s) {
  if (s.size() != 4) throw std::runtime_error("expected a rank-4 depthwise filter");
  const int64_t kh = s[0], kw = s[1], ci = s[2], m = s[3];
  // output channel o = c·m + j reads filter[y][x][c][j] at y·kw·ci·m + x·ci·m + o
  return at::from_blob(f32At(heap, offset, numel(s)), {ci * m, 1, kh, kw}, {1, 1, kw * ci * m, ci * m}, f32());
}

AxisPads axisPads(int64_t before, int64_t after, int64_t stride, int64_t maxSym) {
  if (after < before && before - after < stride && before <= maxSym) return {before, 0, 0};
  int64_t sym = std::max<int64_t>(0, std::min(before, after));
  if (sym > maxSym) sym = 0;
  return {sym, before - sym, after - sym};
}

void applyActivation(at::Tensor& t, int64_t activation, double alpha) {
  switch (activation) {
    case 0: break;
    case 1: at::relu_(t); break;
    case 2: at::clamp_(t, 0, 6); break;
    case 3: at::elu_(t); break;
    case 4: at::sigmoid_(t); break;
    case 5: at::leaky_relu_(t, alpha); break;
    default: throw std::runtime_error("unknown activation code " + std::to_string(activation));
  }
}

}  // namespace prunekit
