{
  "variables": {
    # The instruction set of the matrix and fused kernels: avx512, avx2 or generic (scripts/native-isa.mjs
    # picks the best the building CPU has; NABLA_NATIVE_ISA or -Dnabla_isa=... choose another). Only the
    # kernel files get these flags, and only extensions the addon checks at run time before it exposes the
    # kernels; the glue (addon.cc) and the thread pool are compiled for the baseline, so a build copied to an
    # older x86-64 CPU loads and falls back instead of dying of an illegal instruction.
    "nabla_isa%": "<!(node ../scripts/native-isa.mjs)",
    "nabla_avx2_flags": ["-msse4.1", "-mavx", "-mavx2", "-mfma"],
    "nabla_avx512_flags": ["-msse4.1", "-mavx", "-mavx2", "-mfma", "-mavx512f", "-mavx512vl", "-mavx512bw",
                           "-mavx512dq"]
  },
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
      # First among the dependencies: where an inline function is compiled into several files, the linker
      # keeps the copy it meets first, which is then a baseline one.
      "target_name": "nabla_pool",
      "type": "static_library",
      "sources": ["src/pool.cc"]
    },
    {
      "target_name": "nabla_kernels",
      "type": "static_library",
      "sources": ["src/gemm.cc", "src/linalg.cc", "src/conv.cc"],
      "conditions": [
        ["target_arch=='x64' and nabla_isa=='avx512'", {
          "cflags_cc": ["<@(nabla_avx512_flags)"],
          "xcode_settings": {"OTHER_CPLUSPLUSFLAGS": ["<@(nabla_avx512_flags)"]}
        }],
        ["target_arch=='x64' and nabla_isa=='avx2'", {
          "cflags_cc": ["<@(nabla_avx2_flags)"],
          "xcode_settings": {"OTHER_CPLUSPLUSFLAGS": ["<@(nabla_avx2_flags)"]}
        }]
      ]
    },
    {
      # The eigensolver: its reductions along rows are vectorized (omp simd, no OpenMP runtime) and its
      # multiply-adds may be fused.
      "target_name": "nabla_eigh",
      "type": "static_library",
      "sources": ["src/eigh.cc"],
      "cflags_cc": ["-fopenmp-simd", "-ffp-contract=fast"],
      "xcode_settings": {"OTHER_CPLUSPLUSFLAGS": ["-fopenmp-simd", "-ffp-contract=fast"]},
      "conditions": [
        ["target_arch=='x64' and nabla_isa=='avx512'", {
          "cflags_cc": ["<@(nabla_avx512_flags)"],
          "xcode_settings": {"OTHER_CPLUSPLUSFLAGS": ["<@(nabla_avx512_flags)"]}
        }],
        ["target_arch=='x64' and nabla_isa=='avx2'", {
          "cflags_cc": ["<@(nabla_avx2_flags)"],
          "xcode_settings": {"OTHER_CPLUSPLUSFLAGS": ["<@(nabla_avx2_flags)"]}
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
        ["target_arch=='x64' and nabla_isa=='avx512'", {
          "cflags_cc": ["<@(nabla_avx512_flags)"],
          "xcode_settings": {"OTHER_CPLUSPLUSFLAGS": ["<@(nabla_avx512_flags)"]}
        }],
        ["target_arch=='x64' and nabla_isa=='avx2'", {
          "cflags_cc": ["<@(nabla_avx2_flags)"],
          "xcode_settings": {"OTHER_CPLUSPLUSFLAGS": ["<@(nabla_avx2_flags)"]}
        }]
      ]
    },
    {
      # ArrayBuffers over a pool of already-touched memory (src/memory_addon.cc), for kernel outputs.
      "target_name": "nabla_memory",
      "sources": ["src/memory.cc", "src/memory_addon.cc"]
    },
    {
      "target_name": "nabla_native",
      "sources": ["src/addon.cc", "src/peak.cc"],
      "dependencies": ["nabla_pool", "nabla_kernels", "nabla_eigh", "nabla_fused"]
    }
  ]
}
