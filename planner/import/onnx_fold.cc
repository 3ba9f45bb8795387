#include "import/onnx_fold.h"

#include <cmath>
#include <cstdint>
#include <set>
#include <stdexcept>

namespace edgetrain::planner {

namespace {

// Folding is for shape arithmetic and scalars: a constant past this many elements is a weight,
// and an op on it is not the exporter's bookkeeping.
constexpr uint64_t kMaxFoldedElements = 4096;

[[noreturn]] void refuse(const std::string& what) { throw std::invalid_argument(what); }

// A small constant, its elements as doubles (int64 shape values are far below 2^53).
struct Value {
  bool is_float = false;
  std::vector<int64_t> dims;
  std::vector<double> v;
};

Value read(const onnx::TensorProto& t, const std::string& name) {
  Value out;
  out.dims.assign(t.dims().begin(), t.dims().end());
  if (element_count(t.dims(), "constant '" + name + "'") > kMaxFoldedElements) {
    refuse("constant '" + name + "' is too large to fold (more than " + std::to_string(kMaxFoldedElements) + " elements)");
  }
  if (t.data_type() == onnx::TensorProto::FLOAT) {
    out.is_float = true;
    for (float f : tensor_floats(t, "constant '" + name + "'")) out.v.push_back(f);
  } else {
    for (int64_t i : tensor_int64s(t, "constant '" + name + "'")) out.v.push_back(static_cast<double>(i));
  }
  return out;
}

onnx::TensorProto write(const Value& x, const std::string& name) {
  onnx::TensorProto t;
  t.set_name(name);
  for (int64_t d : x.dims) t.add_dims(d);
  if (x.is_float) {
    t.set_data_type(onnx::TensorProto::FLOAT);
    for (double d : x.v) t.add_float_data(static_cast<float>(d));
  } else {
    t.set_data_type(onnx::TensorProto::INT64);
    for (double d : x.v) {
      // [-2^63, 2^63): what converts to int64 (arithmetic on constants, or a Cast, may leave it).
      if (!(d >= -9223372036854775808.0 && d < 9223372036854775808.0)) {
        refuse("constant '" + name + "' holds a value outside int64's range");
      }
      t.add_int64_data(static_cast<int64_t>(d));
    }
  }
  return t;
}

const onnx::AttributeProto* attr(const onnx::NodeProto& n, const char* name) {
  for (const auto& a : n.attribute()) {
    if (a.name() == name) return &a;
  }
  return nullptr;
}
int64_t attr_int(const onnx::NodeProto& n, const char* name, int64_t fallback) {
  const auto* a = attr(n, name);
  return a ? a->i() : fallback;
}

// An axis in [-rank, rank) as [0, rank).
size_t axis_of(int64_t axis, size_t rank) {
  const int64_t r = static_cast<int64_t>(rank);
  if (axis < -r || axis >= r) refuse("axis " + std::to_string(axis) + " is out of range for rank " + std::to_string(rank));
  return static_cast<size_t>(axis < 0 ? axis + r : axis);
}

// Axes from the attribute (opset < 13) or the second input.
std::vector<int64_t> axes_of(const onnx::NodeProto& n, const std::vector<Value>& in) {
  if (in.size() > 1) return std::vector<int64_t>(in[1].v.begin(), in[1].v.end());
  const auto* a = attr(n, "axes");
  return a ? std::vector<int64_t>(a->ints().begin(), a->ints().end()) : std::vector<int64_t>{};
}

Value unsqueeze(const onnx::NodeProto& n, const std::vector<Value>& in) {
  Value y = in[0];
  const std::vector<int64_t> axes = axes_of(n, in);
  const size_t rank = y.dims.size() + axes.size();
  std::set<size_t> at;
  for (int64_t a : axes) at.insert(axis_of(a, rank));
  std::vector<int64_t> dims;
  for (size_t i = 0, j = 0; i < rank; ++i) dims.push_back(at.count(i) ? 1 : y.dims.at(j++));
  y.dims = dims;
  return y;
}

Value squeeze(const onnx::NodeProto& n, const std::vector<Value>& in) {
  Value y = in[0];
  std::set<size_t> at;
  for (int64_t a : axes_of(n, in)) at.insert(axis_of(a, y.dims.size()));
  std::vector<int64_t> dims;
  for (size_t i = 0; i < y.dims.size(); ++i) {
    if ((at.empty() && y.dims[i] == 1) || at.count(i)) {
      if (y.dims[i] != 1) refuse("squeezes axis " + std::to_string(i) + " of size " + std::to_string(y.dims[i]));
      continue;
    }
    dims.push_back(y.dims[i]);
  }
  y.dims = dims;
  return y;
}

// Rank <= 1 constants only: shape arithmetic is vectors and scalars.
void require_vector(const Value& x, const char* op) {
  if (x.dims.size() > 1) refuse(std::string(op) + " of constants is folded for scalars and vectors only");
}

Value concat(const std::vector<Value>& in) {
  Value y;
  y.is_float = in[0].is_float;
  for (const Value& x : in) {
    require_vector(x, "Concat");
    y.v.insert(y.v.end(), x.v.begin(), x.v.end());
  }
  y.dims = {static_cast<int64_t>(y.v.size())};
  return y;
}

Value gather(const onnx::NodeProto& n, const std::vector<Value>& in) {
  require_vector(in[0], "Gather");
  if (attr_int(n, "axis", 0) != 0) refuse("Gather of a constant vector is folded on axis 0 only");
  Value y;
  y.is_float = in[0].is_float;
  y.dims = in[1].dims;
  const int64_t size = static_cast<int64_t>(in[0].v.size());
  for (double d : in[1].v) {
    const int64_t i = static_cast<int64_t>(d);
    if (i < -size || i >= size) refuse("Gather index " + std::to_string(i) + " is out of range for " + std::to_string(size) + " elements");
    y.v.push_back(in[0].v[static_cast<size_t>(i < 0 ? i + size : i)]);
  }
  return y;
}

Value slice(const std::vector<Value>& in) {
  require_vector(in[0], "Slice");
  if (in.size() < 3) refuse("Slice needs starts and ends inputs (opset 10 and later)");
  if (in.size() > 3 && (in[3].v.size() != 1 || (in[3].v[0] != 0 && in[3].v[0] != -1))) refuse("Slice of a constant vector is folded on axis 0 only");
  const double step = in.size() > 4 ? in[4].v.at(0) : 1;
  if (step != 1) refuse("Slice of a constant vector is folded with step 1 only");
  const auto size = static_cast<int64_t>(in[0].v.size());
  auto clamp = [&](double d) {
    int64_t i = d < -1e18 ? -size : d > 1e18 ? size : static_cast<int64_t>(d);
    if (i < 0) i += size;
    return i < 0 ? 0 : i > size ? size : i;
  };
  const int64_t begin = clamp(in[1].v.at(0)), end = clamp(in[2].v.at(0));
  Value y;
  y.is_float = in[0].is_float;
  for (int64_t i = begin; i < end; ++i) y.v.push_back(in[0].v[static_cast<size_t>(i)]);
  y.dims = {static_cast<int64_t>(y.v.size())};
  return y;
}

Value arithmetic(const std::string& op, const std::vector<Value>& in) {
  const Value& a = in[0];
  const Value& b = in[1];
  if (a.v.empty() || b.v.empty()) refuse(op + " of an empty constant");
  if (a.v.size() != b.v.size() && a.v.size() != 1 && b.v.size() != 1) refuse(op + " of constants of different sizes");
  Value y = a.v.size() >= b.v.size() ? a : b;
  y.is_float = a.is_float || b.is_float;
  for (size_t i = 0; i < y.v.size(); ++i) {
    const double x = a.v[a.v.size() == 1 ? 0 : i], z = b.v[b.v.size() == 1 ? 0 : i];
    if (op == "Add") y.v[i] = x + z;
    if (op == "Sub") y.v[i] = x - z;
    if (op == "Mul") y.v[i] = x * z;
    if (op == "Div") {
      if (z == 0) refuse("Div of constants by zero");
      y.v[i] = y.is_float ? x / z : std::trunc(x / z);  // ONNX's integer Div truncates
    }
  }
  return y;
}

Value cast(const onnx::NodeProto& n, Value x) {
  const int64_t to = attr_int(n, "to", 0);
  if (to == onnx::TensorProto::FLOAT || to == onnx::TensorProto::DOUBLE) {
    x.is_float = true;
  } else if (to == onnx::TensorProto::INT64 || to == onnx::TensorProto::INT32) {
    x.is_float = false;
    for (double& d : x.v) d = std::trunc(d);
  } else {
    refuse("Cast to element type " + std::to_string(to) + " is not supported (supported: float, int32, int64)");
  }
  return x;
}

Value constant_of_shape(const onnx::NodeProto& n, const Value& shape) {
  Value y;
  y.dims.assign(shape.v.begin(), shape.v.end());
  uint64_t count = 1;
  for (int64_t d : y.dims) {
    if (d < 0 || d > static_cast<int64_t>(kMaxFoldedElements)) refuse("ConstantOfShape of dimension " + std::to_string(d));
    count *= static_cast<uint64_t>(d);
  }
  if (count > kMaxFoldedElements) refuse("ConstantOfShape of more than " + std::to_string(kMaxFoldedElements) + " elements");
  double value = 0;
  if (const auto* a = attr(n, "value"); a && a->has_t()) {
    const Value v = read(a->t(), "value");
    if (v.v.size() != 1) refuse("ConstantOfShape's value must hold one element");
    value = v.v[0];
    y.is_float = v.is_float;
  } else {
    y.is_float = true;
  }
  y.v.assign(count, value);
  return y;
}

// A Constant node's value: a tensor, or one of the scalar/list attributes.
Value constant_value(const onnx::NodeProto& n) {
  if (const auto* a = attr(n, "value"); a && a->has_t()) return read(a->t(), n.output(0));
  if (const auto* a = attr(n, "value_int")) return Value{false, {}, {static_cast<double>(a->i())}};
  if (const auto* a = attr(n, "value_float")) return Value{true, {}, {a->f()}};
  if (const auto* a = attr(n, "value_ints")) {
    Value y{false, {a->ints_size()}, {}};
    for (int64_t i : a->ints()) y.v.push_back(static_cast<double>(i));
    return y;
  }
  if (const auto* a = attr(n, "value_floats")) {
    Value y{true, {a->floats_size()}, {}};
    for (float f : a->floats()) y.v.push_back(f);
    return y;
  }
  refuse("supported: a tensor, int, ints, float or floats value");
}

}  // namespace

onnx::TensorProto int64_constant(const std::string& name, const std::vector<int64_t>& values) {
  Value y{false, {static_cast<int64_t>(values.size())}, {}};
  for (int64_t i : values) y.v.push_back(static_cast<double>(i));
  return write(y, name);
}

bool fold_constant(const onnx::NodeProto& n, ConstantTable& consts) {
  static const std::set<std::string> kFoldable = {"Identity", "Cast", "Shape", "Gather", "Unsqueeze", "Squeeze",
                                                  "Concat", "Slice", "Add", "Sub", "Mul", "Div", "ConstantOfShape"};
  const std::string& op = n.op_type();
  if (op == "Constant") {
    if (n.output_size() != 1) refuse("has " + std::to_string(n.output_size()) + " outputs (supported: 1)");
    // A tensor value is the file's own tensor: large ones (weights) stay as they are.
    if (const auto* a = attr(n, "value"); a && a->has_t()) {
      consts.alias(n.output(0), &a->t());
    } else {
      consts.add(n.output(0), write(constant_value(n), n.output(0)));
    }
    return true;
  }
  if (!kFoldable.count(op) || n.input_size() == 0 || n.output_size() != 1) return false;
  std::vector<const onnx::TensorProto*> protos;
  for (const auto& name : n.input()) {
    if (name.empty()) {
      protos.push_back(nullptr);
      continue;
    }
    const onnx::TensorProto* t = consts.find(name);
    if (!t) return false;  // reads an activation: an op, not arithmetic
    protos.push_back(t);
  }
  if (op == "Identity") {
    consts.alias(n.output(0), protos[0]);  // of a weight: the same initializer
    return true;
  }
  std::vector<Value> in;
  for (size_t i = 0; i < protos.size(); ++i) {
    if (!protos[i]) refuse("input " + std::to_string(i) + " is empty (supported: every input given)");
    in.push_back(read(*protos[i], n.input(static_cast<int>(i))));
  }
  const auto need = [&](size_t count) {
    if (in.size() < count) refuse("needs " + std::to_string(count) + " inputs");
  };
  Value y;
  if (op == "Cast") {
    y = cast(n, in[0]);
  } else if (op == "Shape") {
    y.dims = {static_cast<int64_t>(in[0].dims.size())};
    for (int64_t d : in[0].dims) y.v.push_back(static_cast<double>(d));
  } else if (op == "Gather") {
    need(2);
    y = gather(n, in);
  } else if (op == "Unsqueeze") {
    y = unsqueeze(n, in);
  } else if (op == "Squeeze") {
    y = squeeze(n, in);
  } else if (op == "Concat") {
    y = concat(in);
  } else if (op == "Slice") {
    y = slice(in);
  } else if (op == "ConstantOfShape") {
    y = constant_of_shape(n, in[0]);
  } else {
    need(2);
    y = arithmetic(op, in);
  }
  consts.add(n.output(0), write(y, n.output(0)));
  return true;
}

}  // namespace edgetrain::planner
