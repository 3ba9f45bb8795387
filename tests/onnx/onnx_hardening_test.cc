// Issue 14: malformed ONNX graphs are refused with one error line naming the node, never by a
// protobuf CHECK abort; names from the file reach errors escaped and plans sanitised.
#include <doctest/doctest.h>

#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "onnx_test_util.h"

using namespace edgetrain;
using namespace edgetrain::planner;

namespace {

std::string error_after(const std::function<void(onnx::GraphProto&)>& edit) { return test::import_error_after("plain_cnn.onnx", edit); }
using test::first;

}  // namespace

TEST_CASE("onnx import: every op's input and output counts are checked before they are read") {
  CHECK(error_after([](onnx::GraphProto&) {}).empty());
  // A Transpose without outputs aborted in protobuf (CHECK failed: (index) < (current_size_)).
  CHECK(error_after([](onnx::GraphProto& g) {
          onnx::NodeProto& t = *g.add_node();
          t.set_name("t");
          t.set_op_type("Transpose");
          t.add_input(g.node(0).output(0));
        }) == "m.onnx: node 't' (Transpose): has 0 outputs (supported: 1)");
  CHECK(error_after([](onnx::GraphProto& g) { first(g, "Relu").clear_output(); }).find("(Relu): has 0 outputs (supported: 1)") !=
        std::string::npos);
  CHECK(error_after([](onnx::GraphProto& g) { first(g, "Conv").mutable_input()->RemoveLast(); first(g, "Conv").mutable_input()->RemoveLast(); })
            .find("(Conv): has 1 input (supported: 2 to 3)") != std::string::npos);
  CHECK(error_after([](onnx::GraphProto& g) { first(g, "Relu").clear_input(); }).find("(Relu): has 0 inputs (supported: 1)") !=
        std::string::npos);
}

namespace {

// The error of plain_cnn.onnx with one more node, `op` of two int64 constants `a` and `b`.
std::string arithmetic_error(const char* op, const std::vector<int64_t>& a, const std::vector<int64_t>& b) {
  return error_after([&](onnx::GraphProto& g) {
    onnx::NodeProto& n = *g.add_node();
    n.set_name("arith");
    n.set_op_type(op);
    n.add_output("arith_out");
    for (const auto& [name, values] : {std::pair{"a", a}, std::pair{"b", b}}) {
      onnx::TensorProto& t = *g.add_initializer();
      t.set_name(name);
      t.set_data_type(onnx::TensorProto::INT64);
      t.add_dims(static_cast<int64_t>(values.size()));
      for (int64_t v : values) t.add_int64_data(v);
      n.add_input(name);
    }
  });
}

}  // namespace

// Both found by fuzzing: the first read past the end of the empty one, the second converted an
// out-of-range double to int64 (undefined behaviour).
TEST_CASE("onnx import: constant arithmetic on an empty constant or past int64's range is refused") {
  CHECK(arithmetic_error("Add", {}, {1}) == "m.onnx: node 'arith' (Add): Add of an empty constant");
  CHECK(arithmetic_error("Mul", {int64_t{1} << 62}, {4}) ==
        "m.onnx: node 'arith' (Mul): constant 'arith_out' holds a value outside int64's range");
  CHECK(arithmetic_error("Mul", {int64_t{1} << 61}, {-4}).empty());  // -2^63 is in range
}

TEST_CASE("onnx import: names from the file stay one line in errors and sanitised in plans") {
  const std::string error = error_after([](onnx::GraphProto& g) {
    onnx::NodeProto& r = first(g, "Relu");
    r.set_name("a\nb\"c");
    r.set_op_type("LeakyRelu");
  });
  CHECK(error.find("m.onnx: node 'a\\nb\"c' (LeakyRelu): operator not supported") == 0);
  CHECK(error.find('\n') == std::string::npos);
}
