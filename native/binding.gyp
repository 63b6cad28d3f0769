{
  "target_defaults": {
    "cflags_cc": ["-O3", "-std=gnu++17", "-fno-math-errno", "-ffp-contract=off"],
    "cflags_cc!": ["-O2", "-O0"],
    "xcode_settings": {
      "GCC_OPTIMIZATION_LEVEL": "3",
      "CLANG_CXX_LANGUAGE_STANDARD": "gnu++17",
      "OTHER_CPLUSPLUSFLAGS": ["-ffp-contract=off"]
    }
  },
  "targets": [
    {
      "target_name": "nabla_kernels",
      "type": "static_library",
      "sources": ["src/gemm.cc", "src/pool.cc"],
      "conditions": [
        ["target_arch=='x64' or target_arch=='ia32'", {
          "cflags_cc": ["-march=native"],
          "xcode_settings": {"OTHER_CPLUSPLUSFLAGS": ["-march=native"]}
        }]
      ]
    },
    {
      "target_name": "nabla_fused",
      "type": "static_library",
      "sources": ["src/fused.cc"],
      "cflags_cc": ["-fno-trapping-math"],
      "xcode_settings": {"OTHER_CPLUSPLUSFLAGS": ["-fno-trapping-math"]},
      "conditions": [
        ["target_arch=='x64' or target_arch=='ia32'", {
          "cflags_cc": ["-march=native"],
          "xcode_settings": {"OTHER_CPLUSPLUSFLAGS": ["-march=native", "-fno-trapping-math"]}
        }]
      ]
    },
    {
      "target_name": "nabla_native",
      "sources": ["src/addon.cc"],
      "dependencies": ["nabla_kernels", "nabla_fused"]
    }
  ]
}
