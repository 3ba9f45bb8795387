#include "import/onnx_import.h"

#include <cerrno>
#include <cmath>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "import/onnx_importer.h"
#include "util/names.h"

namespace edgetrain::planner {

namespace onnx_detail {

namespace {

constexpr int64_t kMinOpset = 11, kMaxOpset = 17;  // Clip's min/max are inputs from 11 on

std::string counted(int n, const char* what) { return std::to_string(n) + " " + what + (n == 1 ? "" : "s"); }
std::string range(int lo, int hi) { return lo == hi ? std::to_string(lo) : std::to_string(lo) + " to " + std::to_string(hi); }

}  // namespace

OnnxModel Importer::run() {
  check_opset();
  for (const auto& t : g_.initializer()) {
    consts_.alias(t.name(), &t);
    initializers_.insert(t.name());
  }
  image_input();
  if (g_.output_size() != 1) fail_model("the graph must have one output (the logits), it has " + std::to_string(g_.output_size()));
  const uint32_t classes = count_classes();
  const auto& in = g_.input(input_index_).type().tensor_type().shape();
  try {
    b_ = std::make_unique<ModelBuilder>(model_name(), batch_, dim(in, 2), dim(in, 3), dim(in, 1), classes);
  } catch (const std::invalid_argument& e) {
    fail_model(e.what());  // the input's shape: with the file's name
  }
  values_[g_.input(input_index_).name()] = Value{b_->input()};
  for (int i = 0; i < g_.node_size(); ++i) {
    const onnx::NodeProto& n = g_.node(i);
    node_index_ = i;
    try {
      node(n, i);
    } catch (const std::invalid_argument& e) {
      const std::string what = e.what();
      if (what.rfind(file_ + ":", 0) == 0) throw;
      fail(n, what);
    }
  }
  const auto it = values_.find(g_.output(0).name());
  if (it == values_.end()) fail_model("no node writes the graph's output '" + g_.output(0).name() + "' from the image");
  try {
    out_.graph = b_->finish(it->second.id);
  } catch (const std::invalid_argument& e) {
    fail_model(std::string(e.what()) + " (classes " + std::to_string(classes) + ")");
  }
  if (batchnorms_ == 0 && conv_bias_ > 0) {
    note(file_ + ": no BatchNormalization: an eval-mode export folds BatchNorm into the convolutions; importing " +
         std::to_string(conv_bias_) + " convolutions with bias (to train BatchNorm, export with "
         "training=torch.onnx.TrainingMode.TRAINING, do_constant_folding=False)");
  }
  return std::move(out_);
}

void Importer::fail_model(const std::string& what) const { throw std::invalid_argument(file_ + ": " + one_line(what)); }
void Importer::fail(const onnx::NodeProto& n, const std::string& what) const {
  fail_model("node '" + n.name() + "' (" + n.op_type() + "): " + what);
}

void Importer::check_opset() {
  int64_t opset = -1;
  for (const auto& o : m_.opset_import()) {
    if (o.domain().empty() || o.domain() == "ai.onnx") opset = o.version();
  }
  if (opset < 0) fail_model("the model imports no opset of the default ONNX domain");
  if (opset < kMinOpset || opset > kMaxOpset) {
    fail_model("opset " + std::to_string(opset) + " is not supported (supported: " + std::to_string(kMinOpset) + " to " +
               std::to_string(kMaxOpset) + "; torch.onnx.export(..., opset_version=14))");
  }
  opset_ = opset;
}

// The one graph input that is not an initializer: a float [N, C, H, W] image; only N may be
// dynamic (the plan's batch replaces it).
void Importer::image_input() {
  input_index_ = -1;
  for (int i = 0; i < g_.input_size(); ++i) {
    if (initializers_.count(g_.input(i).name())) continue;
    if (input_index_ >= 0) fail_model("the graph has more than one input ('" + g_.input(input_index_).name() + "', '" + g_.input(i).name() + "'); supported: one image");
    input_index_ = i;
  }
  if (input_index_ < 0) fail_model("the graph has no input");
  const auto& v = g_.input(input_index_);
  const std::string what = "input '" + v.name() + "'";
  if (!v.type().has_tensor_type() || v.type().tensor_type().elem_type() != onnx::TensorProto::FLOAT) {
    fail_model(what + " must be a float32 tensor");
  }
  const auto& s = v.type().tensor_type().shape();
  if (!v.type().tensor_type().has_shape() || s.dim_size() != 4) fail_model(what + " must have shape [N, C, H, W]");
  static const char* kDims[] = {"N", "C", "H", "W"};
  for (int i = 1; i < 4; ++i) {
    if (!s.dim(i).has_dim_value()) {
      fail_model("dynamic shapes are not supported: " + what + " dimension " + kDims[i] + " is '" + s.dim(i).dim_param() +
                 "' (export with fixed C, H, W; only N may be dynamic)");
    }
    if (s.dim(i).dim_value() < 1 || s.dim(i).dim_value() > 4096) fail_model(what + " dimension " + kDims[i] + " must be in [1, 4096]");
  }
}

// Classes: the graph output's declared [N, classes] shape (what torch.onnx.export writes), else
// the weight of the Gemm/MatMul that writes the logits.
uint32_t Importer::count_classes() const {
  const auto check = [&](int64_t k) {
    if (k < 2 || k > 100000) fail_model("classes (the logits' second dimension) must be in [2, 100000], got " + std::to_string(k));
    return static_cast<uint32_t>(k);
  };
  const auto& out = g_.output(0);
  if (out.type().has_tensor_type() && out.type().tensor_type().has_shape()) {
    const auto& s = out.type().tensor_type().shape();
    if (s.dim_size() == 2 && s.dim(1).has_dim_value()) return check(s.dim(1).dim_value());
  }
  for (const auto& n : g_.node()) {
    for (const auto& o : n.output()) {
      if (o != out.name()) continue;
      const onnx::TensorProto* w = nullptr;
      bool trans_b = n.op_type() == "Gemm" && attr_int(n, "transB", 0) != 0;
      if ((n.op_type() == "Gemm" || n.op_type() == "MatMul") && n.input_size() >= 2) {
        w = consts_.find(n.input(1));
        for (const auto& t : g_.node()) {  // MatMul(x, Transpose(weight)): the Transpose's input
          if (!w && t.op_type() == "Transpose" && t.output_size() == 1 && t.output(0) == n.input(1) && t.input_size() == 1) {
            w = consts_.find(t.input(0));
            trans_b = !trans_b;
          }
        }
      }
      if (!w || w->dims_size() != 2) {
        fail(n, "the graph's output must be declared [batch, classes], or written by a Gemm or MatMul with a 2-D weight "
                "(a trailing Softmax belongs in the loss, which we add)");
      }
      return check(w->dims(trans_b ? 0 : 1));
    }
  }
  fail_model("no node writes the graph's output '" + out.name() + "'");
}

std::string Importer::model_name() const {
  std::string base = file_.substr(file_.find_last_of('/') + 1);
  base = base.substr(0, base.rfind(".onnx") == std::string::npos ? base.size() : base.rfind(".onnx"));
  std::string s = identifier_fragment(base);
  if (s.empty() || std::isdigit(static_cast<unsigned char>(s[0]))) s = "m" + s;
  return s;  // names C++ symbols in the generated plan
}

void Importer::node(const onnx::NodeProto& n, int index) {
  if (!n.domain().empty() && n.domain() != "ai.onnx") fail(n, "domain '" + n.domain() + "' is not supported (supported: the default ONNX domain)");
  // Arithmetic on constants (the exporter's shape bookkeeping) is evaluated here.
  if (fold_constant(n, consts_)) return;
  const OnnxOp* op = find_onnx_op(n.op_type());
  if (!op) fail(n, "operator not supported (supported: " + supported_onnx_ops() + ")");
  if (n.input_size() < op->min_in || n.input_size() > op->max_in) {
    fail(n, "has " + counted(n.input_size(), "input") + " (supported: " + range(op->min_in, op->max_in) + ")");
  }
  if (n.output_size() < op->min_out || n.output_size() > op->max_out) {
    fail(n, "has " + counted(n.output_size(), "output") + " (supported: " + range(op->min_out, op->max_out) + ")");
  }
  (this->*op->handler)(n, index);
}

// --- attributes ---
const onnx::AttributeProto* Importer::attr(const onnx::NodeProto& n, const char* name) const {
  for (const auto& a : n.attribute()) {
    if (a.name() == name) return &a;
  }
  return nullptr;
}
int64_t Importer::attr_int(const onnx::NodeProto& n, const char* name, int64_t fallback) const {
  const auto* a = attr(n, name);
  return a ? a->i() : fallback;
}
float Importer::attr_float(const onnx::NodeProto& n, const char* name, float fallback) const {
  const auto* a = attr(n, name);
  return a ? a->f() : fallback;
}
std::vector<int64_t> Importer::attr_ints(const onnx::NodeProto& n, const char* name, std::vector<int64_t> fallback) const {
  const auto* a = attr(n, name);
  return a ? std::vector<int64_t>(a->ints().begin(), a->ints().end()) : fallback;
}
void Importer::allow_attrs(const onnx::NodeProto& n, std::set<std::string> known) const {
  for (const auto& a : n.attribute()) {
    if (!known.count(a.name())) {
      std::string list;
      for (const auto& k : known) list += (list.empty() ? "" : ", ") + k;
      fail(n, "attribute '" + a.name() + "' is not supported (supported: " + (list.empty() ? "none" : list) + ")");
    }
  }
}

// --- inputs ---
const Value& Importer::act(const onnx::NodeProto& n, int slot) const {
  if (slot >= n.input_size()) fail(n, "needs input " + std::to_string(slot));
  const auto it = values_.find(n.input(slot));
  if (it == values_.end()) {
    fail(n, "reads '" + n.input(slot) + "', which is not the image or the output of an earlier supported node");
  }
  return it->second;
}
const onnx::TensorProto* Importer::constant(const onnx::NodeProto& n, int slot) const {
  if (slot >= n.input_size() || n.input(slot).empty()) return nullptr;
  const onnx::TensorProto* t = consts_.find(n.input(slot));
  if (!t) fail(n, "input '" + n.input(slot) + "' must be an initializer (weights are constants)");
  return t;
}
float Importer::scalar(const onnx::NodeProto& n, int slot, float fallback) const {
  const onnx::TensorProto* t = constant(n, slot);
  if (!t) return fallback;
  const std::vector<float> v = tensor_floats(*t, "input '" + n.input(slot) + "'");
  if (v.size() != 1) fail(n, "input '" + n.input(slot) + "' must be a scalar");
  return v[0];
}
std::vector<int64_t> Importer::ints(const onnx::NodeProto& n, int slot) const {
  const onnx::TensorProto* t = constant(n, slot);
  return t ? tensor_int64s(*t, "input '" + n.input(slot) + "'") : std::vector<int64_t>{};
}

void Importer::bind(const onnx::NodeProto& n, int slot, const std::string& tensor, OnnxLayout layout,
                    std::vector<uint32_t> want, const Value& flat) {
  const onnx::TensorProto* t = slot < 0 ? nullptr : constant(n, slot);
  OnnxBinding bd{tensor, "", layout, want, flat.c, flat.h, flat.w, node_index_, slot};
  if (t) {
    // A Transpose view writes back into the weight it views; an Identity's output, or a
    // Constant node's, gets an initializer of its own on export.
    const std::string& name = n.input(slot);
    bd.initializer = transposed_.count(name) ? consts_.source(name) : name;
    if (!used_.insert(bd.initializer).second) fail(n, "initializer '" + bd.initializer + "' is shared with another node (not supported)");
    if (dims_of(*t) != want) {
      std::string d;
      for (uint32_t x : want) d += (d.empty() ? "" : ", ") + std::to_string(x);
      fail(n, "initializer '" + name + "' should have shape [" + d + "]");
    }
    out_.weights[tensor] = onnx_to_ours(bd, tensor_floats(*t, "initializer '" + name + "'"));
  } else {
    out_.weights[tensor].assign(layout == OnnxLayout::Same ? want[0] : 0, 0.0f);
  }
  out_.bindings.push_back(std::move(bd));
}

// Layer names: PyTorch's module path from the weight ("layer1.0.conv1.weight" -> "layer1.0.conv1"),
// else the node's name; unique, since parameter names derive from them.
std::string Importer::layer_name(const onnx::NodeProto& n, int index, const onnx::TensorProto* weight) {
  std::string s;
  if (weight && weight->name().size() > 7 && weight->name().rfind(".weight") == weight->name().size() - 7) {
    s = weight->name().substr(0, weight->name().size() - 7);
  } else if (!n.name().empty()) {
    s = n.name();
    while (!s.empty() && s[0] == '/') s.erase(0, 1);
    for (char& ch : s) ch = ch == '/' ? '.' : ch;
  }
  s = sanitize_name(s);
  if (s.empty()) s = sanitize_name(n.op_type()) + "_" + std::to_string(index);
  if (const std::string bad = name_problem("layer name", s); !bad.empty()) fail(n, bad);
  for (std::string base = s; !names_.insert(s).second;) s = base + "_" + std::to_string(index);
  return s;
}

Value Importer::flat_of(const Value& v) const {
  if (v.flat) return v;
  return Value{v.id, true, dim_of(v.id, 3), dim_of(v.id, 1), dim_of(v.id, 2)};
}

std::vector<int64_t> Importer::onnx_shape(const Value& v) const {
  if (v.flat) return {batch_, static_cast<int64_t>(v.c) * v.h * v.w};
  return {batch_, dim_of(v.id, 3), dim_of(v.id, 1), dim_of(v.id, 2)};
}

// Pads may be 0; kernels and strides at least 1.
uint32_t Importer::window(const onnx::NodeProto& n, const char* what, const std::vector<int64_t>& v, size_t count) const {
  const int64_t lo = std::string(what) == "pads" ? 0 : 1;
  bool same = v.size() == count;
  for (int64_t x : v) same = same && x == v[0] && x >= lo && x <= 64;
  if (!same) {
    fail(n, std::string(what) + " must hold " + std::to_string(count) + " equal values in [" + std::to_string(lo) +
                ", 64] (supported: square windows, the same padding on all sides)");
  }
  return static_cast<uint32_t>(v[0]);
}

}  // namespace onnx_detail

OnnxModel parse_onnx(const std::string& bytes, const std::string& filename, uint32_t batch) {
  const onnx::ModelProto m = parse_model_proto(bytes, filename);
  return onnx_detail::Importer(m, filename, batch).run();
}

std::string read_binary_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw std::invalid_argument("cannot read '" + path + "': " + std::strerror(errno));
  std::ostringstream s;
  s << f.rdbuf();
  return s.str();
}

OnnxModel load_onnx(const std::string& path, uint32_t batch) { return parse_onnx(read_binary_file(path), path, batch); }

}  // namespace edgetrain::planner
