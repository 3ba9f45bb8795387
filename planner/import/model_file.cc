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

// What a layer's row needs to build it: the parser, the layer's object and name, its inputs.
struct LayerArgs {
  const Parser& p;
  const Value& layer;
  const std::string& name;
  const std::vector<TensorId>& in;
  uint32_t field(const std::string& key, uint32_t fallback, uint32_t min, uint32_t max, bool required = false) const {
    return planner::field(p, layer, name, key, fallback, min, max, required);
  }
  // A finite number, `fallback` when absent.
  float number(const std::string& key, float fallback) const {
    const Value* v = layer.get(key);
    if (!v) return fallback;
    if (v->kind != Value::Number || !std::isfinite(v->number)) {
      p.fail_at(v->line, "layer '" + name + "': \"" + key + "\" must be a finite number");
    }
    return static_cast<float>(v->number);
  }
};

// One row per layer type: its name in the file, how many inputs it takes (min..max), the
// builder call.
struct LayerType {
  const char* type;
  size_t min_inputs, max_inputs;
  TensorId (*build)(ModelBuilder& b, const LayerArgs& a);
};

bool flag(const LayerArgs& a, const std::string& key) {
  const Value* v = a.layer.get(key);
  if (v && v->kind != Value::Bool) a.p.fail_at(v->line, "layer '" + a.name + "': \"" + key + "\" must be true or false");
  return v && v->number != 0;
}

// clang-format off
const LayerType kLayerTypes[] = {
    {"conv", 1, 1, [](ModelBuilder& b, const LayerArgs& a) {
       const uint32_t kernel = a.field("kernel", 0, 1, 64, true);
       return b.conv(a.name, a.in[0], a.field("out", 0, 1, 1u << 16, true), kernel, a.field("stride", 1, 1, 64),
                     a.field("pad", kernel / 2, 0, 64), a.field("groups", 1, 1, 1u << 16), flag(a, "bias"));
     }},
    {"batchnorm", 1, 1, [](ModelBuilder& b, const LayerArgs& a) {
       return b.batchnorm(a.name, a.in[0], a.number("eps", 1e-5f), a.number("momentum", 0.1f));
     }},
    {"relu", 1, 1, [](ModelBuilder& b, const LayerArgs& a) { return b.relu(a.name, a.in[0]); }},
    {"relu6", 1, 1, [](ModelBuilder& b, const LayerArgs& a) { return b.relu6(a.name, a.in[0]); }},
    {"add", 2, 2, [](ModelBuilder& b, const LayerArgs& a) { return b.add(a.name, a.in[0], a.in[1]); }},
    {"maxpool", 1, 1, [](ModelBuilder& b, const LayerArgs& a) {
       const uint32_t kernel = a.field("kernel", 0, 1, 64, true);
       return b.maxpool(a.name, a.in[0], kernel, a.field("stride", kernel, 1, 64), a.field("pad", 0, 0, 32),
                        flag(a, "ceil_mode"));
     }},
    {"sigmoid", 1, 1, [](ModelBuilder& b, const LayerArgs& a) { return b.sigmoid(a.name, a.in[0]); }},
    {"hard_sigmoid", 1, 1, [](ModelBuilder& b, const LayerArgs& a) {
       return b.hard_sigmoid(a.name, a.in[0], a.number("alpha", 0.2f), a.number("beta", 0.5f));
     }},
    {"hard_swish", 1, 1, [](ModelBuilder& b, const LayerArgs& a) { return b.hard_swish(a.name, a.in[0]); }},
    {"mul", 2, 2, [](ModelBuilder& b, const LayerArgs& a) { return b.mul(a.name, a.in[0], a.in[1]); }},
    {"channel_shuffle", 1, 1, [](ModelBuilder& b, const LayerArgs& a) {
       return b.channel_shuffle(a.name, a.in[0], a.field("groups", 0, 1, 1u << 16, true));
     }},
    {"channel_slice", 1, 1, [](ModelBuilder& b, const LayerArgs& a) {
       return b.channel_slice(a.name, a.in[0], a.field("begin", 0, 0, 1u << 16, true), a.field("end", 0, 1, 1u << 16, true));
     }},
    {"avgpool", 1, 1, [](ModelBuilder& b, const LayerArgs& a) {
       const uint32_t kernel = a.field("kernel", 0, 1, 64, true);
       return b.avgpool(a.name, a.in[0], kernel, a.field("stride", kernel, 1, 64), a.field("pad", 0, 0, 32),
                        flag(a, "ceil_mode"), flag(a, "count_include_pad"));
     }},
    {"concat", 2, kMaxOpInputs, [](ModelBuilder& b, const LayerArgs& a) { return b.concat(a.name, a.in); }},
    {"dropout", 1, 1, [](ModelBuilder& b, const LayerArgs& a) { return b.dropout(a.name, a.in[0], a.number("p", 0.5f)); }},
    {"global_avgpool", 1, 1, [](ModelBuilder& b, const LayerArgs& a) { return b.global_avgpool(a.name, a.in[0]); }},
    {"fc", 1, 1, [](ModelBuilder& b, const LayerArgs& a) { return b.fc(a.name, a.in[0], a.field("out", 0, 1, 1u << 20, true)); }},
};
// clang-format on

const LayerType* find_layer_type(const std::string& type) {
  for (const LayerType& t : kLayerTypes) {
    if (type == t.type) return &t;
  }
  return nullptr;
}

std::string layer_types() {
  std::string s;
  for (const LayerType& t : kLayerTypes) s += std::string(s.empty() ? "" : ", ") + t.type;
  return s;
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
    const LayerType* row = find_layer_type(t);
    if (!row) p.fail_at(type->line, "unknown layer type '" + t + "' (known: " + layer_types() + ")");
    if (in.size() < row->min_inputs || in.size() > row->max_inputs) {
      const std::string takes = row->min_inputs == row->max_inputs
                                    ? std::to_string(row->min_inputs)
                                    : std::to_string(row->min_inputs) + " to " + std::to_string(row->max_inputs);
      p.fail_at(layer.line, "layer '" + n + "' (" + t + ") takes " + takes + " input" + (row->max_inputs > 1 ? "s" : "") +
                                ", got " + std::to_string(in.size()));
    }
    try {
      last = row->build(b, LayerArgs{p, layer, n, in});
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
