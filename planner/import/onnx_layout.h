// Where an ONNX initializer goes in our parameters, and the element order conversions both ways
// (ONNX is NCHW with OIHW conv weights; we are NHWC with [out][kh][kw][in/groups] conv weights).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace edgetrain::planner {

// How an ONNX initializer's elements map onto one of our parameter tensors.
enum class OnnxLayout : uint8_t {
  Same,     // 1-D (biases, BatchNorm vectors)
  ConvOihw, // ONNX [O][I/g][KH][KW] -> ours [O][KH][KW][I/g]
  FcOutIn,  // Gemm transB=1: ONNX [out][in] -> ours [out][in]
  FcInOut,  // Gemm transB=0, MatMul: ONNX [in][out] -> ours [out][in]
};

struct OnnxBinding {
  std::string tensor;       // our parameter or running-statistic tensor
  std::string initializer;  // the ONNX initializer; empty: the ONNX graph has none (Gemm/MatMul
                            // without bias: we train a zero-initialised bias, export adds it)
  OnnxLayout layout = OnnxLayout::Same;
  std::vector<uint32_t> onnx_dims;
  // An FC after a Flatten of [C][H][W] with H*W > 1 reads features in ONNX's CHW order; ours are
  // HWC, so its weight columns are permuted.
  uint32_t flat_c = 0, flat_h = 1, flat_w = 1;
  int node = -1;   // index of the ONNX node that reads it
  int input = -1;  // and the input slot it reads: export writes a new initializer there when the
                   // file has none of its own (a missing bias, or one shared through Identity)
};

// Layout conversions of one binding (exact inverses of each other).
std::vector<float> onnx_to_ours(const OnnxBinding& b, const std::vector<float>& onnx);
std::vector<float> ours_to_onnx(const OnnxBinding& b, const std::vector<float>& ours);

}  // namespace edgetrain::planner
