// Issue 14: bad model files, profiles and numbers are refused with one error line; nothing from
// them reaches generated code except as checked data.
#include <doctest/doctest.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>

#include "cost/device_profile.h"
#include "cost/off_arena.h"
#include "graph/model_builder.h"
#include "graph/training.h"
#include "import/model_file.h"
#include "util/atomic_file.h"
#include "util/json.h"
#include "util/names.h"
#include "util/units.h"

using namespace edgetrain;
using namespace edgetrain::planner;

namespace {

// A model file around `layers` (JSON text of the layer objects).
std::string model_json(const std::string& layers, const std::string& input = "[8, 8, 1]") {
  return "{\"name\": \"m\", \"input\": " + input + ", \"classes\": 2, \"layers\": [" + layers + "]}";
}

// The error parse_model_file throws, "" if none.
std::string model_error(const std::string& text) {
  try {
    parse_model_file(text, "m.json", 2);
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "";
}

std::string json_error(const std::string& text) {
  try {
    parse_json(text, "j.json");
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "";
}

std::string read_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::ostringstream s;
  s << f.rdbuf();
  return s.str();
}

}  // namespace

TEST_CASE("layer names holding quotes, backslashes, newlines or */ are refused on one line") {
  for (const std::string name : {R"(c\");\nint x = 1; /*)", R"(a\\b)", R"(a\nb)", "a*/b", "a b", "a-b"}) {
    CAPTURE(name);
    const std::string error =
        model_error(model_json("{\"name\": \"" + name + "\", \"type\": \"conv\", \"out\": 2, \"kernel\": 3}, "
                               "{\"name\": \"g\", \"type\": \"global_avgpool\"}, {\"name\": \"f\", \"type\": \"fc\", \"out\": 2}"));
    CHECK(error.find("m.json:1: layer name \"") == 0);
    CHECK(error.find("(names may hold only letters, digits, '.' and '_')") != std::string::npos);
    CHECK(error.find('\n') == std::string::npos);
  }
  CHECK(model_error("{\"name\": \"a\\\"b\", \"input\": [8, 8, 1], \"classes\": 2, \"layers\": []}") ==
        "m.json:1: the model name \"a\\\"b\" holds '\\\"' (names may hold only letters, digits, '.' and '_')");
  // Messages quoting other text from the file stay one line too.
  CHECK(model_error(model_json("{\"name\": \"c\", \"type\": \"co\\nnv\"}")) ==
        "m.json:1: unknown layer type 'co\\nnv' (known: conv, batchnorm, relu, relu6, add, maxpool, "
        "sigmoid, hard_sigmoid, hard_swish, mul, channel_shuffle, channel_slice, avgpool, concat, dropout, "
        "global_avgpool, fc)");
}

TEST_CASE("name helpers: the character set, sanitising, identifiers and escaped literals") {
  CHECK(name_problem("layer name", "layer1.0.conv_2").empty());
  CHECK(name_problem("layer name", std::string(kMaxNameBytes + 1, 'a')).find("bytes long") != std::string::npos);
  CHECK(sanitize_name("/conv/Conv-1") == "_conv_Conv_1");
  CHECK(identifier_fragment("resnet.v1") == "resnet_v1");
  CHECK(quoted("a\"b\\c\nd*/e\x01" "1", Quote::Cpp) == R"("a\"b\\c\nd*/e\0011")");
  CHECK(quoted("a\"b\\c\nd\x01\x7f", Quote::Json) == R"("a\"b\\c\nd\u0001\u007f")");
  // The JSON reader reads back what the JSON quoting wrote.
  const std::string nasty = std::string("q\"b\\s\n\t\r\x01 */ end");
  CHECK(parse_json(quoted(nasty, Quote::Json), "j.json").text == nasty);
}

TEST_CASE("builder calls check their input's rank: a 2-D fc output into 4-D layers is refused") {
  const std::string fc = "{\"name\": \"f1\", \"type\": \"fc\", \"out\": 4}, ";
  const std::string tail = ", {\"name\": \"f2\", \"type\": \"fc\", \"out\": 2}";
  CHECK(model_error(model_json(fc + "{\"name\": \"bn\", \"type\": \"batchnorm\"}" + tail)) ==
        "m.json:1: bn (batchnorm) needs a 4-D input [N, H, W, C], got [2, 4] from 'f1'");
  CHECK(model_error(model_json(fc + "{\"name\": \"c\", \"type\": \"conv\", \"out\": 2, \"kernel\": 1}" + tail)) ==
        "m.json:1: c (conv) needs a 4-D input [N, H, W, C], got [2, 4] from 'f1'");
  CHECK(model_error(model_json(fc + "{\"name\": \"p\", \"type\": \"maxpool\", \"kernel\": 1}" + tail)) ==
        "m.json:1: p (maxpool) needs a 4-D input [N, H, W, C], got [2, 4] from 'f1'");
  CHECK(model_error(model_json(fc + "{\"name\": \"g\", \"type\": \"global_avgpool\"}" + tail)) ==
        "m.json:1: g (global_avgpool) needs a 4-D input [N, H, W, C], got [2, 4] from 'f1'");
  // 2-D inputs stay fine where the kernels take them.
  CHECK(model_error(model_json(fc + "{\"name\": \"r\", \"type\": \"relu\"}" + tail)).empty());
}

TEST_CASE("sizes are computed in 64 bits: a 2^32-feature fc is refused, not a [10, 0] weight") {
  // A 1x1 conv to 256 channels of a 4096x4096 image, then fc: 2^32 features.
  const auto conv_fc = [](int channels) {
    return "{\"name\": \"c\", \"type\": \"conv\", \"out\": " + std::to_string(channels) +
           ", \"kernel\": 1}, {\"name\": \"fc\", \"type\": \"fc\", \"out\": 2}";
  };
  CHECK(model_error(model_json(conv_fc(256), "[4096, 4096, 1]")) ==
        "m.json:1: fc: input features ([2, 4096, 4096, 256] flattened) is 4294967296 (a dimension is 1 to 4294967295)");
  CHECK(model_error(model_json(conv_fc(257), "[4096, 4096, 1]")).find("is 4311744512") != std::string::npos);
  // A tensor past kMaxTensorBytes: 2^20 outputs of 2^21 features is 2^43 bytes of weight.
  ModelBuilder b("m", 1, 2048, 1024, 1, 2);
  try {
    b.fc("big", b.input(), 1u << 20);
    FAIL("accepted an 8 TiB weight");
  } catch (const std::invalid_argument& e) {
    CHECK(std::string(e.what()) == "big.weight: shape [1048576, 2097152] is larger than 1099511627776 bytes (no device holds it)");
  }
}

TEST_CASE("models past kMaxLayers are refused") {
  ModelBuilder b("m", 1, 1, 1, 1, 2);
  TensorId x = b.input();
  std::string error;
  try {
    for (size_t i = 0; i <= kMaxLayers; ++i) x = b.relu("r" + std::to_string(i), x);
  } catch (const std::invalid_argument& e) {
    error = e.what();
  }
  CHECK(error == "the model has more than 100000 layers (the planner's limit, graph/model_builder.h)");
}

TEST_CASE("JSON: numbers are decimal, keys unique per object") {
  CHECK(json_error("{\"a\": 1, \"b\": {\"a\": 2}}").empty());
  CHECK(json_error("{\"a\": 1,\n \"a\": 2}") == "j.json:2: key \"a\" appears twice in one object");
  for (const char* bad : {"0x10", "+1", "1.", ".5", "01", "1e", "-", "1.5e+", "-inf"}) {
    CAPTURE(bad);
    CHECK(json_error(std::string("[") + bad + "]").find("j.json:1:") == 0);
  }
  for (const char* good : {"0", "-0.5", "12", "1e3", "2.5E-2"}) {
    CAPTURE(good);
    CHECK(json_error(std::string("[") + good + "]").empty());
  }
}

TEST_CASE("command-line numbers are plain decimal") {
  uint64_t v = 0;
  CHECK(parse_decimal("8", 10, &v));
  CHECK(v == 8);
  for (const char* bad : {" 8", "8 ", "+8", "-8", "0x8", "8e0", "", "11"}) {
    CAPTURE(bad);
    CHECK_FALSE(parse_decimal(bad, 10, &v));
  }
  CHECK(parse_bytes("3.66MiB") == 3837788);
  CHECK(parse_bytes("120MB") == 120000000);
  for (const char* bad : {"0x10MiB", " 8", "1e3", ".5MiB", "5.MiB", "inf", "nanMB", "-1"}) {
    CAPTURE(bad);
    CHECK_THROWS_AS(parse_bytes(bad), std::invalid_argument);
  }
  CHECK_THROWS_AS(parse_trainer_data("synthetic: 8"), std::invalid_argument);
  CHECK(parse_trainer_data("synthetic:8").synthetic_images == 8);
}

TEST_CASE("a device profile timing every op at 0 ms is refused naming the run") {
  const std::string profile =
      "{\"format\": \"edgetrain-device-profile\", \"version\": 1, \"model\": \"fashion_cnn\",\n"
      " \"runs\": [{\"batch\": 32,\n \"ops\": [{\"index\": 0, \"kind\": \"Conv2d\", \"writes\": \"conv1\", \"ms\": 0.0},\n"
      " {\"index\": 1, \"kind\": \"SgdMomentum\", \"writes\": \"conv1.weight\", \"ms\": 0.0}]}]}";
  try {
    parse_device_profile(profile, "p.json");
    FAIL("accepted an all-zero profile");
  } catch (const std::invalid_argument& e) {
    CHECK(std::string(e.what()) == "p.json:2: the run of batch 32 times every forward and backward op at 0 ms (want measured times > 0)");
  }
}

TEST_CASE("write_file_atomically never writes through a symlink planted at its temporary") {
  char dir[] = "/tmp/edgetrain-atomic-XXXXXX";
  REQUIRE(::mkdtemp(dir) != nullptr);
  const std::string d = dir, victim = d + "/victim", out = d + "/plan.gen.cc";
  std::ofstream(victim) << "precious";
  REQUIRE(::symlink(victim.c_str(), (out + ".tmp").c_str()) == 0);  // the old fixed temporary
  write_file_atomically(out, "plan");
  CHECK(read_file(victim) == "precious");
  CHECK(read_file(out) == "plan");
  struct stat st {};
  CHECK(::lstat(out.c_str(), &st) == 0);
  CHECK(S_ISREG(st.st_mode));
  // Nothing is left behind: the link we planted, the output, the victim.
  int entries = 0;
  for (const char* name : {"/victim", "/plan.gen.cc", "/plan.gen.cc.tmp"}) entries += ::access((d + name).c_str(), F_OK) == 0 || ::lstat((d + name).c_str(), &st) == 0;
  CHECK(entries == 3);
  for (const char* name : {"/victim", "/plan.gen.cc", "/plan.gen.cc.tmp"}) ::unlink((d + name).c_str());
  CHECK(::rmdir(dir) == 0);  // fails if a temporary was left behind
}
