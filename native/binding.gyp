{
  "targets": [
    {
      "target_name": "prunekit_native",
      "sources": [
        "src/addon.cc",
        "src/heap.cc",
        "src/conv.cc",
        "src/matmul.cc",
        "src/batch_norm.cc",
        "src/pool.cc",
        "src/optimizer.cc"
      ],
      "include_dirs": [
        "<!(node -p \"require('node-addon-api').include_dir\")"
      ],
      "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS"],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions", "-fno-rtti"],
      "cflags_cc": ["-std=c++17", "-O2", "-fexceptions", "-frtti", "-Wno-unused-parameter", "-Wno-deprecated-declarations"],
      "libraries": ["-ltorch_cpu", "-lc10", "-ldl"]
    }
  ]
}
