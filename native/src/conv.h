// Direct 2-D convolution (cross-correlation) on NCHW input and OIHW weights, for the `conv` primitive
// (src/primitives/conv.ts). Every output pixel is the sum over (channel, kernel row, kernel column), in that
// order, of weight × zero-padded input, accumulated in double from 0 with separate multiplies and adds, so
// the result equals the reference kernel's bit for bit in float64 and float32 alike.
#pragma once

#include <cstdint>

namespace nabla {

// Sizes: input [n, c, h, w], weight [o, c, kh, kw], output [n, o, oh, ow]; strides sh, sw; dilations dh,
// dw; zero padding ph, pw before the input (the padding after it is implied by oh and ow); input dilations
// lh, lw (lh − 1 zero rows between input rows, as a transposed convolution's stride).
struct ConvGeom {
  int64_t n, c, h, w, o, kh, kw, oh, ow, sh, sw, dh, dw, ph, pw, lh, lw;
};

template <class T>
void conv2d(const T* x, const T* w, T* out, const ConvGeom& g, int threads);

}  // namespace nabla
