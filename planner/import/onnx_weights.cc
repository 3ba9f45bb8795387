#include "import/onnx_weights.h"

#include <zlib.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <set>
#include <stdexcept>

#include "graph/training.h"
#include "import/onnx_proto.h"
#include "state_format.h"
#include "util/atomic_file.h"

namespace edgetrain::planner {

namespace {

bool persistent(const Tensor& t) { return saved_in_state(t.region(), t.init); }

uint32_t crc32_of(const char* p, size_t n) {
  return static_cast<uint32_t>(crc32_z(crc32_z(0, nullptr, 0), reinterpret_cast<const Bytef*>(p), n));
}

void require(bool ok, const std::string& what) {
  if (!ok) throw std::invalid_argument(what);
}

}  // namespace

std::string make_state_file(const Graph& g, const OnnxModel& m) {
  std::string payload;
  for (const Tensor& t : g.tensors) {
    if (!persistent(t)) continue;
    const size_t n = t.bytes() / 4;
    std::vector<float> v;
    const auto it = m.weights.find(t.name);
    if (it != m.weights.end()) {
      v = it->second;
    } else if (t.role != Role::Param && (t.init == Init::Zeros || t.init == Init::Ones)) {
      v.assign(n, t.init == Init::Ones ? 1.0f : 0.0f);  // optimizer state
    } else {
      throw std::logic_error("parameter '" + t.name + "' has no value in the ONNX file");
    }
    if (v.size() != n) throw std::logic_error("tensor '" + t.name + "' has " + std::to_string(v.size()) + " values, wants " + std::to_string(n));
    payload.append(reinterpret_cast<const char*>(v.data()), n * 4);
  }
  StateHeader h{};
  std::memcpy(h.magic, kStateMagic, sizeof kStateMagic);
  h.version = kStateVersion;
  h.model_hash = model_hash(g);
  h.payload_bytes = payload.size();
  std::string file(reinterpret_cast<const char*>(&h), sizeof h);
  file += payload;
  const uint32_t crc = crc32_of(file.data(), file.size());
  file.append(reinterpret_cast<const char*>(&crc), sizeof crc);
  return file;
}

StateTensors parse_state_file(const std::string& bytes, const std::string& name, const Graph& g) {
  StateHeader h;
  require(bytes.size() >= sizeof h + 4, "state file '" + name + "' is truncated (" + std::to_string(bytes.size()) + " bytes)");
  std::memcpy(&h, bytes.data(), sizeof h);
  require(std::memcmp(h.magic, kStateMagic, sizeof kStateMagic) == 0 && h.version == kStateVersion, "'" + name + "' is not an edgetrain state file");
  uint32_t crc;
  std::memcpy(&crc, bytes.data() + bytes.size() - 4, 4);
  require(crc32_of(bytes.data(), bytes.size() - 4) == crc, "state file '" + name + "' is corrupt (checksum mismatch)");
  char hash[80];
  std::snprintf(hash, sizeof hash, "%016llx, the ONNX model's %016llx", static_cast<unsigned long long>(h.model_hash),
                static_cast<unsigned long long>(model_hash(g)));
  require(h.model_hash == model_hash(g), "state file '" + name + "' was saved for another model (hash " + hash + ")");
  uint64_t payload = 0;
  for (const Tensor& t : g.tensors) payload += persistent(t) ? t.bytes() : 0;
  require(h.payload_bytes == payload && bytes.size() == sizeof h + payload + 4,
          "state file '" + name + "' holds " + std::to_string(h.payload_bytes) + " bytes of state, the model needs " + std::to_string(payload));
  StateTensors out;
  size_t at = sizeof h;
  for (const Tensor& t : g.tensors) {
    if (!persistent(t)) continue;
    std::vector<float> v(t.bytes() / 4);
    std::memcpy(v.data(), bytes.data() + at, t.bytes());
    at += t.bytes();
    out[t.name] = std::move(v);
  }
  return out;
}

StateTensors parse_model_state(const std::string& bytes, const std::string& name, const Graph& model,
                               const std::vector<bool>& frozen) {
  std::string first_error;
  for (OpKind optimizer : optimizer_kinds()) {
    Graph g = model;
    derive_schedules(g, frozen, Updates::AfterLastUse, optimizer);
    try {
      return parse_state_file(bytes, name, g);
    } catch (const std::invalid_argument& e) {
      if (first_error.empty()) first_error = e.what();
    }
  }
  throw std::invalid_argument(first_error);
}

std::string export_onnx(const std::string& onnx_bytes, const std::string& filename, const OnnxModel& m,
                        const StateTensors& state) {
  onnx::ModelProto proto = parse_model_proto(onnx_bytes, filename);
  onnx::GraphProto& graph = *proto.mutable_graph();
  std::map<std::string, onnx::TensorProto*> inits;
  std::set<std::string> names;
  for (auto& t : *graph.mutable_initializer()) inits[t.name()] = &t;
  for (const auto& n : graph.node()) names.insert(n.output().begin(), n.output().end());
  for (const auto& v : graph.input()) names.insert(v.name());
  for (const OnnxBinding& b : m.bindings) {
    const auto s = state.find(b.tensor);
    if (s == state.end()) throw std::logic_error("the state has no tensor '" + b.tensor + "'");
    const std::vector<float> v = ours_to_onnx(b, s->second);
    onnx::TensorProto* t;
    if (const auto it = inits.find(b.initializer); it != inits.end()) {
      t = it->second;
    } else {
      // None of its own: a Gemm/MatMul without bias (we trained one: the export carries it as
      // Gemm's C), or a weight an eval export reads through an Identity of a shared initializer.
      std::string name = b.initializer.empty() ? b.tensor : b.initializer + ".trained";
      while (names.count(name) || inits.count(name)) name += "_";
      names.insert(name);
      t = graph.add_initializer();
      t->set_name(name);
      for (uint32_t d : b.onnx_dims) t->add_dims(d);
      onnx::NodeProto& n = *graph.mutable_node(b.node);
      if (n.op_type() == "MatMul") n.set_op_type("Gemm");  // same [in][out] weight: transB 0
      while (n.input_size() <= b.input) n.add_input("");
      n.set_input(b.input, name);
    }
    t->set_data_type(onnx::TensorProto::FLOAT);
    t->clear_float_data();
    t->set_raw_data(std::string(reinterpret_cast<const char*>(v.data()), v.size() * 4));
  }
  std::string out;
  if (!proto.SerializeToString(&out)) throw std::runtime_error("cannot serialize the exported ONNX model");
  return out;
}

void write_onnx_initial_state(const std::string& onnx_path, const Graph& planned, const std::string& out_path) {
  const OnnxModel m = load_onnx(onnx_path, planned.batch);
  write_file_atomically(out_path, make_state_file(planned, m));
}

void export_onnx_weights(const std::string& onnx_path, const std::string& state_path, const std::string& out_path) {
  const std::string bytes = read_binary_file(onnx_path);
  OnnxModel m = parse_onnx(bytes, onnx_path, 1);
  // The state holds what a plan of this model holds (optimizer state too).
  const StateTensors state = parse_model_state(read_binary_file(state_path), state_path, m.graph);
  write_file_atomically(out_path, export_onnx(bytes, onnx_path, m, state));
}

}  // namespace edgetrain::planner
