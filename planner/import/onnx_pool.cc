// Pooling: MaxPool, AveragePool (and the Pad PyTorch puts ahead of one), GlobalAveragePool and
// ReduceMean over H and W.
#include <algorithm>

#include "import/onnx_importer.h"

namespace edgetrain::planner::onnx_detail {

void Importer::refuse_dilation(const onnx::NodeProto& n) const {
  const std::vector<int64_t> d = attr_ints(n, "dilations", {1, 1});
  if (d == std::vector<int64_t>{1, 1}) return;
  std::string text;
  for (const int64_t v : d) text += (text.empty() ? "" : ", ") + std::to_string(v);
  fail(n, "dilations [" + text + "] are not supported (supported: 1, i.e. none)");
}

// MaxPool and AveragePool (ceil_mode; AveragePool's count_include_pad, ONNX's default 0).
void Importer::pool(const onnx::NodeProto& n, int index) {
  const bool max = n.op_type() == "MaxPool";
  allow_attrs(n, max ? std::set<std::string>{"kernel_shape", "strides", "pads", "ceil_mode", "dilations", "storage_order", "auto_pad"}
                     : std::set<std::string>{"kernel_shape", "strides", "pads", "ceil_mode", "count_include_pad", "auto_pad"});
  const Value& x = act(n, 0);
  if (x.flat || x.groups) fail(n, "the input must be [N, C, H, W]");
  if (attr_int(n, "storage_order", 0) != 0) fail(n, "storage_order must be 0 (row major)");
  if (attr(n, "auto_pad") && attr(n, "auto_pad")->s() != "NOTSET") fail(n, "auto_pad is not supported (give explicit pads)");
  refuse_dilation(n);
  const int64_t ceil_mode = attr_int(n, "ceil_mode", 0), include_pad = attr_int(n, "count_include_pad", 0);
  if ((ceil_mode != 0 && ceil_mode != 1) || (include_pad != 0 && include_pad != 1)) {
    fail(n, "ceil_mode and count_include_pad must be 0 or 1");
  }
  const uint32_t k = window(n, "kernel_shape", attr_ints(n, "kernel_shape", {}), 2);
  const uint32_t s = window(n, "strides", attr_ints(n, "strides", {1, 1}), 2);
  uint32_t p = window(n, "pads", attr_ints(n, "pads", {0, 0, 0, 0}), 4);
  bool counts_pad = include_pad != 0;
  if (x.pad) {  // PyTorch's count_include_pad: Pad, then AveragePool (only one reads the Pad)
    if (p != 0 || ceil_mode != 0) fail(n, "after a Pad, supported: pads 0 and ceil_mode 0 (PyTorch's export of count_include_pad)");
    p = x.pad;
    counts_pad = true;
  }
  const std::string name = layer_name(n, index, nullptr);
  define(n, {max ? b_->maxpool(name, x.id, k, s, p, ceil_mode != 0)
                 : b_->avgpool(name, x.id, k, s, p, ceil_mode != 0, counts_pad)});
}

// A constant-0 Pad of H and W. All zero, the identity (DenseNet's transitions); else what
// PyTorch exports for an AvgPool2d with padding and count_include_pad: a Pad that only an
// AveragePool without pads reads, which takes it as its own padding (pool above).
void Importer::pad(const onnx::NodeProto& n, int) {
  allow_attrs(n, {"mode"});
  if (attr(n, "mode") && attr(n, "mode")->s() != "constant") {
    fail(n, "mode '" + attr(n, "mode")->s() + "' is not supported (supported: constant)");
  }
  const Value& x = act(n, 0);
  if (x.flat || x.groups) fail(n, "the input must be [N, C, H, W]");
  if (const float value = scalar(n, 2, 0.0f); value != 0.0f) {
    fail(n, "a constant_value of " + std::to_string(value) + " is not supported (supported: 0)");
  }
  const std::vector<int64_t> pads = ints(n, 1);  // [N, C, H, W] begins, then ends
  if (pads.size() != 8) fail(n, "needs 8 pads ([N, C, H, W] begins and ends)");
  if (std::all_of(pads.begin(), pads.end(), [](int64_t v) { return v == 0; })) return define(n, x);
  if (pads[0] || pads[1] || pads[4] || pads[5] || pads[2] < 0 || pads[2] > 32 ||
      std::count(pads.begin(), pads.end(), pads[2]) != 4) {
    fail(n, "supported: the same padding of 0 to 32 on all four sides of H and W");
  }
  for (const onnx::ValueInfoProto& out : g_.output()) {
    if (out.name() == n.output(0)) fail(n, "is the graph's output; supported: a Pad that only AveragePools read");
  }
  for (const onnx::NodeProto& reader : g_.node()) {
    for (const std::string& in : reader.input()) {
      if (in == n.output(0) && reader.op_type() != "AveragePool") {
        fail(n, "is read by '" + reader.name() + "' (" + reader.op_type() + "); supported: a Pad that only AveragePools read");
      }
    }
  }
  Value v = x;
  v.pad = static_cast<uint32_t>(pads[2]);
  define(n, v);
}

// GlobalAveragePool, and ReduceMean over H and W (keepdims 1: [N, C, 1, 1]; 0: [N, C]).
void Importer::global_pool(const onnx::NodeProto& n, int index) {
  const bool reduce = n.op_type() == "ReduceMean";
  allow_attrs(n, reduce ? std::set<std::string>{"axes", "keepdims"} : std::set<std::string>{});
  const Value& x = act(n, 0);
  if (x.flat || x.groups) fail(n, "the input must be [N, C, H, W]");
  if (reduce) {
    auto axes = attr_ints(n, "axes", {});
    for (int64_t& a : axes) a = a < 0 ? a + 4 : a;
    if (n.input_size() > 1 || (axes != std::vector<int64_t>{2, 3} && axes != std::vector<int64_t>{3, 2})) {
      fail(n, "supported: the mean over H and W (axes [2, 3]) as an attribute");
    }
  }
  Value v{b_->global_avgpool(layer_name(n, index, nullptr), x.id)};
  if (reduce && attr_int(n, "keepdims", 1) == 0) v = flat_of(v);
  define(n, v);
}

}  // namespace edgetrain::planner::onnx_detail
