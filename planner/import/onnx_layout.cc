#include "import/onnx_layout.h"

namespace edgetrain::planner {

namespace {

// Column j of an ONNX FC weight (ONNX feature order) -> our column.
size_t fc_column(const OnnxBinding& b, size_t j) {
  const size_t hw = size_t{b.flat_h} * b.flat_w;
  if (b.flat_c == 0 || hw == 1) return j;
  return (j % hw) * b.flat_c + j / hw;
}

template <typename F>
void for_each_element(const OnnxBinding& b, F&& f) {  // f(onnx index, our index)
  const auto& d = b.onnx_dims;
  switch (b.layout) {
    case OnnxLayout::Same:
      for (size_t i = 0; i < d[0]; ++i) f(i, i);
      break;
    case OnnxLayout::ConvOihw:
      for (size_t o = 0; o < d[0]; ++o)
        for (size_t i = 0; i < d[1]; ++i)
          for (size_t y = 0; y < d[2]; ++y)
            for (size_t x = 0; x < d[3]; ++x) f(((o * d[1] + i) * d[2] + y) * d[3] + x, ((o * d[2] + y) * d[3] + x) * d[1] + i);
      break;
    case OnnxLayout::FcOutIn:
      for (size_t o = 0; o < d[0]; ++o)
        for (size_t j = 0; j < d[1]; ++j) f(o * d[1] + j, o * d[1] + fc_column(b, j));
      break;
    case OnnxLayout::FcInOut:
      for (size_t j = 0; j < d[0]; ++j)
        for (size_t o = 0; o < d[1]; ++o) f(j * d[1] + o, o * d[0] + fc_column(b, j));
      break;
  }
}

}  // namespace

std::vector<float> onnx_to_ours(const OnnxBinding& b, const std::vector<float>& onnx) {
  std::vector<float> ours(onnx.size());
  for_each_element(b, [&](size_t from, size_t to) { ours.at(to) = onnx.at(from); });
  return ours;
}

std::vector<float> ours_to_onnx(const OnnxBinding& b, const std::vector<float>& ours) {
  std::vector<float> onnx(ours.size());
  for_each_element(b, [&](size_t to, size_t from) { onnx.at(to) = ours.at(from); });
  return onnx;
}

}  // namespace edgetrain::planner
