#include "import/model_file.h"

#include <cerrno>
#include <cmath>
#include <cstring>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <vector>

#include "graph/model_builder.h"
#include "util/json.h"
#include "util/names.h"

namespace edgetrain::planner {

namespace {

using Value = JsonValue;

// Errors name the file and a line, like the reader's own.
struct Parser {
  std::string file;
  [[noreturn]] void fail_at(int line, const std::string& what) const { json_fail(file, line, what); }
};

constexpr const char* kTypes = "conv, batchnorm, relu, relu6, add, maxpool, global_avgpool, fc";

uint32_t count(const Parser& p, const Value& v, const std::string& what, uint32_t min, uint32_t max) {
  if (v.kind != Value::Number || v.number != std::floor(v.number) || v.number < min || v.number > max) {
    p.fail_at(v.line, what + " must be an integer in [" + std::to_string(min) + ", " + std::to_string(max) + "]");
  }
  return static_cast<uint32_t>(v.number);
}

uint32_t field(const Parser& p, const Value& layer, const std::string& name, const std::string& key,
               uint32_t fallback, uint32_t min, uint32_t max, bool required = false) {
  const Value* v = layer.get(key);
  if (!v) {
    if (required) p.fail_at(layer.line, "layer '" + name + "' needs \"" + key + "\"");
    return fallback;
  }
  return count(p, *v, "layer '" + name + "': \"" + key + "\"", min, max);
}

}  // namespace

Graph parse_model_file(const std::string& text, const std::string& filename, uint32_t batch) {
  const Parser p{filename};
  const Value doc = parse_json(text, filename);
  if (doc.kind != Value::Object) p.fail_at(doc.line, "a model file is one JSON object");
  for (const auto& [key, v] : doc.fields) {
    if (key != "name" && key != "input" && key != "classes" && key != "layers") {
      p.fail_at(v.line, "unknown key \"" + key + "\" (known: name, input, classes, layers)");
    }
  }
  const Value* name = doc.get("name");
  const Value* input = doc.get("input");
  const Value* classes = doc.get("classes");
  const Value* layers = doc.get("layers");
  if (!name || name->kind != Value::String || name->text.empty()) p.fail_at(doc.line, "the model needs a \"name\" string");
  // Names reach generated C++ and JSON (util/names.h): one character set for all of them.
  if (const std::string bad = name_problem("the model name", name->text); !bad.empty()) p.fail_at(name->line, bad);
  if (!input || input->kind != Value::Array || input->items.size() != 3) {
    p.fail_at(input ? input->line : doc.line, "\"input\" must be [height, width, channels]");
  }
  const uint32_t h = count(p, input->items[0], "input height", 1, 4096);
  const uint32_t w = count(p, input->items[1], "input width", 1, 4096);
  const uint32_t c = count(p, input->items[2], "input channels", 1, 4096);
  if (!classes) p.fail_at(doc.line, "the model needs \"classes\"");
  const uint32_t k = count(p, *classes, "\"classes\"", 2, 100000);
  if (!layers || layers->kind != Value::Array || layers->items.empty()) {
    p.fail_at(layers ? layers->line : doc.line, "\"layers\" must be a non-empty array");
  }

  ModelBuilder b(name->text, batch, h, w, c, k);
  std::map<std::string, TensorId> outputs{{"input", b.input()}};
  TensorId last = b.input();
  for (const Value& layer : layers->items) {
    if (layer.kind != Value::Object) p.fail_at(layer.line, "a layer is a JSON object");
    const Value* lname = layer.get("name");
    const Value* type = layer.get("type");
    if (!lname || lname->kind != Value::String || lname->text.empty()) p.fail_at(layer.line, "a layer needs a \"name\" string");
    const std::string& n = lname->text;
    if (const std::string bad = name_problem("layer name", n); !bad.empty()) p.fail_at(lname->line, bad);
    if (outputs.count(n)) p.fail_at(lname->line, "layer name '" + n + "' is used twice");
    if (!type || type->kind != Value::String) p.fail_at(layer.line, "layer '" + n + "' needs a \"type\" string");
    std::vector<TensorId> in;
    if (const Value* inputs = layer.get("inputs")) {
      if (inputs->kind != Value::Array || inputs->items.empty()) p.fail_at(inputs->line, "\"inputs\" must be a non-empty array of layer names");
      for (const Value& i : inputs->items) {
        if (i.kind != Value::String) p.fail_at(i.line, "\"inputs\" must hold layer names");
        const auto it = outputs.find(i.text);
        if (it == outputs.end()) p.fail_at(i.line, "layer '" + n + "' reads '" + i.text + "', which no earlier layer is");
        in.push_back(it->second);
      }
    } else {
      in.push_back(last);
    }
    const std::string& t = type->text;
    const size_t want = t == "add" ? 2 : 1;
    if (in.size() != want) {
      p.fail_at(layer.line, "layer '" + n + "' (" + t + ") takes " + std::to_string(want) + " input" + (want > 1 ? "s" : ""));
    }
    try {
      if (t == "conv") {
        const uint32_t kernel = field(p, layer, n, "kernel", 0, 1, 64, true);
        const uint32_t groups = field(p, layer, n, "groups", 1, 1, 1u << 16);
        const Value* bias = layer.get("bias");
        last = b.conv(n, in[0], field(p, layer, n, "out", 0, 1, 1u << 16, true), kernel,
                      field(p, layer, n, "stride", 1, 1, 64), field(p, layer, n, "pad", kernel / 2, 0, 64),
                      groups, bias && bias->kind == Value::Bool && bias->number != 0);
      } else if (t == "batchnorm") {
        last = b.batchnorm(n, in[0]);
      } else if (t == "relu") {
        last = b.relu(n, in[0]);
      } else if (t == "relu6") {
        last = b.relu6(n, in[0]);
      } else if (t == "add") {
        last = b.add(n, in[0], in[1]);
      } else if (t == "maxpool") {
        const uint32_t kernel = field(p, layer, n, "kernel", 0, 1, 64, true);
        last = b.maxpool(n, in[0], kernel, field(p, layer, n, "stride", kernel, 1, 64), field(p, layer, n, "pad", 0, 0, 32));
      } else if (t == "global_avgpool") {
        last = b.global_avgpool(n, in[0]);
      } else if (t == "fc") {
        last = b.fc(n, in[0], field(p, layer, n, "out", 0, 1, 1u << 20, true));
      } else {
        p.fail_at(type->line, "unknown layer type '" + t + "' (known: " + kTypes + ")");
      }
    } catch (const std::invalid_argument& e) {
      const std::string what = e.what();
      if (what.rfind(filename + ":", 0) == 0) throw;
      p.fail_at(layer.line, what);
    }
    outputs[n] = last;
  }
  try {
    return b.finish(last);
  } catch (const std::invalid_argument& e) {
    p.fail_at(layers->items.back().line, std::string(e.what()) + " (classes " + std::to_string(k) + ")");
  }
}

Graph load_model_file(const std::string& path, uint32_t batch) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw std::invalid_argument("cannot read model file '" + path + "': " + std::strerror(errno));
  std::ostringstream text;
  text << f.rdbuf();
  return parse_model_file(text.str(), path, batch);
}

}  // namespace edgetrain::planner
