// The protobuf side of ONNX import/export, shared by onnx_import.cc and onnx_weights.cc: parsing a
// ModelProto with checks, and reading a tensor's elements. Debian's libonnx-dev ships only the
// ONNX_ML variant of the generated header (onnx-ml.pb.h); its messages live in namespace onnx.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <onnx/onnx_pb.h>  // defines ONNX_API, then includes onnx-ml.pb.h (ONNX_ML)

namespace edgetrain::planner {

// Throws std::invalid_argument("FILE: ...") if the bytes are not a model with a graph.
onnx::ModelProto parse_model_proto(const std::string& bytes, const std::string& filename);

// The elements of a FLOAT (or, for shapes and flags, INT64, INT32 or BOOL) tensor stored inline (raw_data or the typed
// field); throws with `what` on another type, external data or a size that does not add up.
std::vector<float> tensor_floats(const onnx::TensorProto& t, const std::string& what);
std::vector<int64_t> tensor_int64s(const onnx::TensorProto& t, const std::string& what);

// Element count of `dims`, throwing if a dimension is negative or the count is absurd.
uint64_t element_count(const google::protobuf::RepeatedField<int64_t>& dims, const std::string& what);

}  // namespace edgetrain::planner
