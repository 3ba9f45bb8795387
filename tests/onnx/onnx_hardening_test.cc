// Issue 14: malformed ONNX graphs are refused with one error line naming the node, never by a
// protobuf CHECK abort; names from the file reach errors escaped and plans sanitised.
#include <doctest/doctest.h>

#include <functional>
#include <string>

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

TEST_CASE("onnx import: arithmetic on an empty constant is refused (it read past the end, found by fuzzing)") {
  CHECK(error_after([](onnx::GraphProto& g) {
          onnx::TensorProto& empty = *g.add_initializer();
          empty.set_name("empty");
          empty.set_data_type(onnx::TensorProto::INT64);
          empty.add_dims(0);
          onnx::TensorProto& one = *g.add_initializer();
          one.set_name("one");
          one.set_data_type(onnx::TensorProto::INT64);
          one.add_int64_data(1);
          onnx::NodeProto& add = *g.add_node();
          add.set_name("sum");
          add.set_op_type("Add");
          add.add_input("empty");
          add.add_input("one");
          add.add_output("sum_out");
        }) == "m.onnx: node 'sum' (Add): Add of an empty constant");
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
