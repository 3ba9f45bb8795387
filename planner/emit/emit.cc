#include "emit/emit.h"

#include <cstddef>
#include <cstdio>
#include <set>
#include <stdexcept>
#include <string>

#include "util/names.h"

namespace edgetrain::planner {

namespace {

const char* region_name(Region r) { return r == Region::Params ? "Params" : "Arena"; }
const char* dtype_name(DType d) {
  switch (d) {
    case DType::F32: return "F32";
    case DType::I32: return "I32";
    case DType::U8: return "U8";
    case DType::Bit: return "Bit";
  }
  return "F32";
}
const char* init_name(Init i) {
  switch (i) {
    case Init::None: return "None";
    case Init::Zeros: return "Zeros";
    case Init::Ones: return "Ones";
    case Init::UniformFanIn: return "UniformFanIn";
  }
  return "None";
}

// The fields of each struct the generated tables initialise positionally, in the order they are
// written. A positional aggregate silently shifts values when plan_format.h reorders or inserts
// a field, so (1) this file checks that each list is its struct's fields in declaration order,
// and (2) the generated file asserts every field's offset and the struct's size as this planner
// saw them: a plan from a planner built against another plan_format.h fails to compile.
struct Field {
  const char* name;
  size_t offset, size, align;
};
#define EDGETRAIN_FIELD(S, f) Field{#f, offsetof(S, f), sizeof(S::f), alignof(decltype(S::f))}
constexpr Field kTensorDescFields[] = {
    EDGETRAIN_FIELD(TensorDesc, name),  EDGETRAIN_FIELD(TensorDesc, region), EDGETRAIN_FIELD(TensorDesc, dtype),
    EDGETRAIN_FIELD(TensorDesc, init),  EDGETRAIN_FIELD(TensorDesc, rank),   EDGETRAIN_FIELD(TensorDesc, shape),
    EDGETRAIN_FIELD(TensorDesc, fan_in), EDGETRAIN_FIELD(TensorDesc, offset), EDGETRAIN_FIELD(TensorDesc, bytes)};
constexpr Field kOpParamsFields[] = {
    EDGETRAIN_FIELD(OpParams, kernel_h),   EDGETRAIN_FIELD(OpParams, kernel_w),
    EDGETRAIN_FIELD(OpParams, stride_h),   EDGETRAIN_FIELD(OpParams, stride_w),
    EDGETRAIN_FIELD(OpParams, pad_top),    EDGETRAIN_FIELD(OpParams, pad_left),
    EDGETRAIN_FIELD(OpParams, pad_bottom), EDGETRAIN_FIELD(OpParams, pad_right),
    EDGETRAIN_FIELD(OpParams, groups),     EDGETRAIN_FIELD(OpParams, eps),
    EDGETRAIN_FIELD(OpParams, momentum),   EDGETRAIN_FIELD(OpParams, norm_mean),
    EDGETRAIN_FIELD(OpParams, norm_std),   EDGETRAIN_FIELD(OpParams, update_running_stats),
    EDGETRAIN_FIELD(OpParams, in_place)};
constexpr Field kOpDescFields[] = {EDGETRAIN_FIELD(OpDesc, kind), EDGETRAIN_FIELD(OpDesc, in),
                                   EDGETRAIN_FIELD(OpDesc, out), EDGETRAIN_FIELD(OpDesc, workspace),
                                   EDGETRAIN_FIELD(OpDesc, params)};
constexpr Field kPlanFields[] = {
    EDGETRAIN_FIELD(Plan, magic),          EDGETRAIN_FIELD(Plan, version),
    EDGETRAIN_FIELD(Plan, model),          EDGETRAIN_FIELD(Plan, model_hash),
    EDGETRAIN_FIELD(Plan, batch),          EDGETRAIN_FIELD(Plan, arena_bytes),
    EDGETRAIN_FIELD(Plan, arena_lower_bound), EDGETRAIN_FIELD(Plan, params_bytes),
    EDGETRAIN_FIELD(Plan, tensors),        EDGETRAIN_FIELD(Plan, tensor_count),
    EDGETRAIN_FIELD(Plan, train_ops),      EDGETRAIN_FIELD(Plan, train_op_count),
    EDGETRAIN_FIELD(Plan, eval_ops),       EDGETRAIN_FIELD(Plan, eval_op_count),
    EDGETRAIN_FIELD(Plan, input),          EDGETRAIN_FIELD(Plan, labels),
    EDGETRAIN_FIELD(Plan, loss),           EDGETRAIN_FIELD(Plan, logits),
    EDGETRAIN_FIELD(Plan, predicted_peak_bytes)};
#undef EDGETRAIN_FIELD

// Each field starts where the previous one ends (rounded up to its alignment) and the last ends
// the struct: the list is every field, in declaration order, so positional order is right. (A
// field added in the tail padding passes, but it shifts nothing: it is zero-initialised.)
template <size_t N>
constexpr bool declaration_order(const Field (&f)[N], size_t size, size_t align) {
  for (size_t i = 0; i < N; ++i) {
    const size_t next_align = i + 1 < N ? f[i + 1].align : align;
    const size_t end = (f[i].offset + f[i].size + next_align - 1) / next_align * next_align;
    if (end != (i + 1 < N ? f[i + 1].offset : size)) return false;
  }
  return f[0].offset == 0;
}
static_assert(declaration_order(kTensorDescFields, sizeof(TensorDesc), alignof(TensorDesc)),
              "kTensorDescFields must list TensorDesc's fields in order: update it and tensor lines");
static_assert(declaration_order(kOpParamsFields, sizeof(OpParams), alignof(OpParams)),
              "kOpParamsFields must list OpParams's fields in order: update it and params_literal");
static_assert(declaration_order(kOpDescFields, sizeof(OpDesc), alignof(OpDesc)),
              "kOpDescFields must list OpDesc's fields in order: update it and emit_ops");
static_assert(declaration_order(kPlanFields, sizeof(Plan), alignof(Plan)),
              "kPlanFields must list Plan's fields in order: update it and emit_plan_cpp");

template <size_t N>
void emit_layout_check(std::ostream& os, const char* type, size_t size, const Field (&f)[N]) {
  os << "static_assert(sizeof(" << type << ") == " << size;
  for (size_t i = 0; i < N; ++i) {
    os << (i % 3 == 0 ? " &&\n              " : " && ") << "offsetof(" << type << ", " << f[i].name
       << ") == " << f[i].offset;
  }
  os << ",\n              \"" << type << " is not laid out as when the planner was built: rebuild plan, re-plan\");\n";
}

// "{name, region, ...}": a comment over each table saying which value is which field.
template <size_t N>
std::string field_names(const Field (&f)[N]) {
  std::string s = "{";
  for (size_t i = 0; i < N; ++i) s += (i ? ", " : "") + std::string(f[i].name);
  return s + "}";
}

// Shortest decimal that reads back as the same float.
std::string float_literal(float v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.9g", static_cast<double>(v));
  std::string s = buf;
  if (s.find_first_of(".e") == std::string::npos) s += ".0";  // "1f" is not a C++ literal
  return s + "f";
}

// `n` entries of `ids`, padded with `pad`; braces for C++, brackets for JSON.
template <typename T>
std::string id_list(const std::vector<T>& ids, size_t n, bool json = false, T pad = T(kNoTensor)) {
  std::string s = json ? "[" : "{";
  for (size_t i = 0; i < n; ++i) {
    s += (i ? ", " : "") + std::to_string(i < ids.size() ? ids[i] : pad);
  }
  return s + (json ? "]" : "}");
}

// A per-channel array of OpParams, "{a, b, c, d}".
std::string float_array_literal(const float (&v)[kMaxNormChannels]) {
  std::string s = "{";
  for (uint32_t i = 0; i < kMaxNormChannels; ++i) s += (i ? ", " : "") + float_literal(v[i]);
  return s + "}";
}

std::string params_literal(const OpParams& p) {
  return "{" + std::to_string(p.kernel_h) + ", " + std::to_string(p.kernel_w) + ", " +
         std::to_string(p.stride_h) + ", " + std::to_string(p.stride_w) + ", " +
         std::to_string(p.pad_top) + ", " + std::to_string(p.pad_left) + ", " +
         std::to_string(p.pad_bottom) + ", " + std::to_string(p.pad_right) + ", " +
         std::to_string(p.groups) + ", " + float_literal(p.eps) + ", " +
         float_literal(p.momentum) + ", " + float_array_literal(p.norm_mean) + ", " +
         float_array_literal(p.norm_std) + ", " + std::to_string(p.update_running_stats) + ", " +
         std::to_string(p.in_place) + "}";
}

void emit_ops(std::ostream& os, const std::string& name, const std::vector<Op>& ops) {
  os << "// OpDesc " << field_names(kOpDescFields) << ", params " << field_names(kOpParamsFields) << "\n";
  os << "const OpDesc " << name << "[] = {\n";
  for (const Op& op : ops) {
    if (op.in.size() > kMaxOpInputs || op.out.size() > kMaxOpOutputs) {
      throw std::logic_error(std::string(op_name(op.kind)) + " op has more operands than an OpDesc holds");
    }
    os << "    {OpKind::" << op_name(op.kind) << ", " << id_list(op.in, kMaxOpInputs) << ", "
       << id_list(op.out, kMaxOpOutputs) << ", " << op.workspace << ", "
       << params_literal(op.params) << "},\n";
  }
  os << "};\n";
}

uint64_t nth(const std::vector<uint64_t>& v, size_t i) { return i < v.size() ? v[i] : 0; }

// `suffix` names the plan's C++ symbols (plan_symbols); the model name itself is only data.
void emit_plan_cpp(std::ostream& os, const Graph& g, const std::string& suffix, uint64_t predicted_peak) {
  os << "\n// " << identifier_fragment(g.model) << ", batch " << g.batch << ": arena " << g.arena_bytes
     << " bytes (lower bound " << g.arena_lower_bound << "), params " << g.params_bytes
     << " bytes.\n";
  os << "// TensorDesc " << field_names(kTensorDescFields) << "\n";
  os << "const TensorDesc kTensors_" << suffix << "[] = {\n";
  for (const Tensor& t : g.tensors) {
    os << "    {" << quoted(t.name, Quote::Cpp) << ", Region::" << region_name(t.region()) << ", DType::"
       << dtype_name(t.dtype) << ", Init::" << init_name(t.init) << ", " << t.shape.size()
       << ", " << id_list(t.shape, 4, false, 1u) << ", " << t.fan_in << ", " << t.offset << ", "
       << t.bytes() << "},\n";
  }
  os << "};\n";
  emit_ops(os, "kTrain_" + suffix, g.train);
  emit_ops(os, "kEval_" + suffix, g.eval);
  os << "// Plan " << field_names(kPlanFields) << "\n";
  os << "const Plan kPlan_" << suffix << " = {kPlanMagic, kPlanVersion, " << quoted(g.model, Quote::Cpp) << ", "
     << model_hash(g) << "ull, " << g.batch << ", " << g.arena_bytes << ", "
     << g.arena_lower_bound << ", " << g.params_bytes << ",\n    kTensors_" << suffix << ", "
     << g.tensors.size() << ", kTrain_" << suffix << ", " << g.train.size() << ", kEval_"
     << suffix << ", " << g.eval.size() << ",\n    " << g.input << ", " << g.labels << ", "
     << g.loss << ", " << g.logits << ", " << predicted_peak << "ull};\n";
}

// Symbol suffixes "<model>_b<batch>" from the model name's identifier characters; where that
// changed the name or repeats an earlier plan's, the plan's index keeps symbols apart.
std::vector<std::string> plan_symbols(const std::vector<Graph>& plans) {
  std::vector<std::string> out;
  std::set<std::string> used;
  for (size_t i = 0; i < plans.size(); ++i) {
    const std::string id = identifier_fragment(plans[i].model);
    std::string suffix = id + "_b" + std::to_string(plans[i].batch);
    if (id != plans[i].model || used.count(suffix)) suffix += "_" + std::to_string(i);
    used.insert(suffix);
    out.push_back(suffix);
  }
  return out;
}

}  // namespace

void emit_cpp(std::ostream& os, const std::vector<Graph>& plans,
              const std::vector<uint64_t>& predicted_peak) {
  os << "// Generated by the edgetrain planner. Do not edit: re-run the planner.\n"
        "#include <cstddef>\n\n#include \"plan_format.h\"\n\nnamespace edgetrain {\nnamespace {\n\n"
        "// The layout the tables below are written for, positionally.\n";
  emit_layout_check(os, "TensorDesc", sizeof(TensorDesc), kTensorDescFields);
  emit_layout_check(os, "OpParams", sizeof(OpParams), kOpParamsFields);
  emit_layout_check(os, "OpDesc", sizeof(OpDesc), kOpDescFields);
  emit_layout_check(os, "Plan", sizeof(Plan), kPlanFields);
  const std::vector<std::string> symbols = plan_symbols(plans);
  for (size_t i = 0; i < plans.size(); ++i) emit_plan_cpp(os, plans[i], symbols[i], nth(predicted_peak, i));
  os << "\nconst Plan* const kPlans[] = {";
  for (const std::string& suffix : symbols) os << "&kPlan_" << suffix << ", ";
  os << "};\n\n}  // namespace\n\nconst PlanSet kBakedPlans = {kPlans, " << plans.size()
     << "};\n\n}  // namespace edgetrain\n";
}

void emit_json(std::ostream& os, const std::vector<Graph>& plans,
               const std::vector<uint64_t>& predicted_peak) {
  os << "{\"plans\": [";
  for (size_t p = 0; p < plans.size(); ++p) {
    const Graph& g = plans[p];
    char hash[24];
    std::snprintf(hash, sizeof hash, "%llx", static_cast<unsigned long long>(model_hash(g)));
    os << (p ? ",\n" : "\n") << "{\"model\": " << quoted(g.model, Quote::Json) << ", \"batch\": " << g.batch
       << ", \"model_hash\": " << quoted(hash, Quote::Json)
       << ", \"arena_bytes\": " << g.arena_bytes
       << ", \"arena_lower_bound\": " << g.arena_lower_bound
       << ", \"params_bytes\": " << g.params_bytes
       << ", \"predicted_peak_bytes\": " << nth(predicted_peak, p) << ",\n \"tensors\": [";
    for (size_t i = 0; i < g.tensors.size(); ++i) {
      const Tensor& t = g.tensors[i];
      os << (i ? ",\n  " : "\n  ") << "{\"name\": " << quoted(t.name, Quote::Json) << ", \"region\": "
         << quoted(region_name(t.region()), Quote::Json) << ", \"shape\": " << id_list(t.shape, t.shape.size(), true)
         << ", \"offset\": " << t.offset << ", \"bytes\": " << t.bytes() << "}";
    }
    for (const auto& [key, ops] : {std::pair{"train", &g.train}, std::pair{"eval", &g.eval}}) {
      os << "],\n " << quoted(key, Quote::Json) << ": [";
      for (size_t i = 0; i < ops->size(); ++i) {
        const Op& op = (*ops)[i];
        os << (i ? ",\n  " : "\n  ") << "{\"op\": " << quoted(op_name(op.kind), Quote::Json)
           << ", \"in\": " << id_list(op.in, op.in.size(), true)
           << ", \"out\": " << id_list(op.out, op.out.size(), true) << "}";
      }
    }
    os << "]}";
  }
  os << "\n]}\n";
}

}  // namespace edgetrain::planner
