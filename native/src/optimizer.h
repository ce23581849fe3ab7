#pragma once
#include "heap.h"

namespace prunekit {
Napi::Value Adam(const Napi::CallbackInfo& info);
}  // namespace prunekit
