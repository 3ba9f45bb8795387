#include "import/onnx_proto.h"

#include <google/protobuf/stubs/logging.h>

#include <cstring>
#include <stdexcept>

namespace edgetrain::planner {

namespace {

void require(bool ok, const std::string& what) {
  if (!ok) throw std::invalid_argument(what);
}

// Protobuf logs some parse problems to stderr itself; our CLIs print exactly one error line.
void silence_protobuf_logging() {
  static const bool once = [] {
    google::protobuf::SetLogHandler(nullptr);
    return true;
  }();
  (void)once;
}

}  // namespace

onnx::ModelProto parse_model_proto(const std::string& bytes, const std::string& filename) {
  silence_protobuf_logging();
  onnx::ModelProto m;
  require(bytes.size() < (1ull << 31), filename + ": the file is larger than 2 GiB (protobuf's limit)");
  require(m.ParseFromString(bytes), filename + ": not an ONNX model (the protobuf does not parse: truncated or damaged file?)");
  require(m.has_graph() && m.graph().node_size() > 0,
          filename + ": not an ONNX model (no graph with nodes: truncated or damaged file?)");
  return m;
}

uint64_t element_count(const google::protobuf::RepeatedField<int64_t>& dims, const std::string& what) {
  uint64_t n = 1;
  for (int64_t d : dims) {
    require(d >= 0 && d <= (1 << 28), what + ": dimension " + std::to_string(d) + " is out of range");
    n *= static_cast<uint64_t>(d);
    require(n <= (1ull << 28), what + ": more than 2^28 elements");
  }
  return n;
}

std::vector<float> tensor_floats(const onnx::TensorProto& t, const std::string& what) {
  require(t.data_location() != onnx::TensorProto::EXTERNAL,
          what + ": weights in external data files are not supported (export with the weights inside the .onnx)");
  require(t.data_type() == onnx::TensorProto::FLOAT,
          what + ": element type " + std::to_string(t.data_type()) + " is not supported (supported: float32)");
  const uint64_t n = element_count(t.dims(), what);
  std::vector<float> v(n);
  if (t.has_raw_data()) {
    require(t.raw_data().size() == n * 4, what + ": holds " + std::to_string(t.raw_data().size()) +
                                              " bytes, its shape needs " + std::to_string(n * 4));
    if (n > 0) std::memcpy(v.data(), t.raw_data().data(), n * 4);  // ONNX raw data is little-endian
  } else {
    require(static_cast<uint64_t>(t.float_data_size()) == n,
            what + ": holds " + std::to_string(t.float_data_size()) + " values, its shape needs " + std::to_string(n));
    for (uint64_t i = 0; i < n; ++i) v[i] = t.float_data(static_cast<int>(i));
  }
  return v;
}

std::vector<int64_t> tensor_int64s(const onnx::TensorProto& t, const std::string& what) {
  require(t.data_location() != onnx::TensorProto::EXTERNAL, what + ": external data is not supported");
  const int type = t.data_type();
  const size_t width = type == onnx::TensorProto::INT64 ? 8 : type == onnx::TensorProto::INT32 ? 4 : type == onnx::TensorProto::BOOL ? 1 : 0;
  require(width != 0, what + ": element type " + std::to_string(type) + " is not supported here (supported: int64, int32, bool)");
  const uint64_t n = element_count(t.dims(), what);
  std::vector<int64_t> v(n);
  if (t.has_raw_data()) {
    require(t.raw_data().size() == n * width, what + ": raw data does not match its shape");
    for (uint64_t i = 0; i < n; ++i) {  // little-endian
      const auto* p = reinterpret_cast<const unsigned char*>(t.raw_data().data()) + i * width;
      uint64_t u = 0;
      for (size_t b = 0; b < width; ++b) u |= static_cast<uint64_t>(p[b]) << (8 * b);
      if (width == 4) u = static_cast<uint64_t>(static_cast<int64_t>(static_cast<int32_t>(u)));
      v[i] = static_cast<int64_t>(u);
    }
  } else if (width == 8) {
    require(static_cast<uint64_t>(t.int64_data_size()) == n, what + ": data does not match its shape");
    for (uint64_t i = 0; i < n; ++i) v[i] = t.int64_data(static_cast<int>(i));
  } else {
    require(static_cast<uint64_t>(t.int32_data_size()) == n, what + ": data does not match its shape");
    for (uint64_t i = 0; i < n; ++i) v[i] = t.int32_data(static_cast<int>(i));
  }
  return v;
}

}  // namespace edgetrain::planner
