// The planner CLI: builds a model's training step, places it in one arena, checks it with the
// simulator, and writes the plan as generated C++ (and JSON).
//
//   plan --model fashion_cnn --batch 32[,64...] --out plans.gen.cc [--json plans.json]
//   plan --list-models
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "emit.h"
#include "placement.h"
#include "simulate.h"
#include "training.h"
#include "zoo.h"

namespace {

using namespace edgetrain::planner;

constexpr const char* kUsage =
    "usage: plan --model NAME --batch N[,N...] --out FILE.gen.cc [--json FILE.json]\n"
    "       plan --list-models\n";

struct Args {
  std::string model, out, json;
  std::vector<uint32_t> batches;
  bool list_models = false;
};

uint32_t parse_batch(const std::string& s) {
  char* end = nullptr;
  errno = 0;
  const unsigned long v = std::strtoul(s.c_str(), &end, 10);
  if (s.empty() || *end != '\0' || s[0] == '-' || errno != 0 || v == 0 || v > 1u << 20) {
    throw std::invalid_argument("--batch must be a positive integer (at most 1048576), got '" + s + "'");
  }
  return static_cast<uint32_t>(v);
}

Args parse_args(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    if (flag == "--list-models") { a.list_models = true; continue; }
    if (flag == "--help" || flag == "-h") { std::cout << kUsage; std::exit(0); }
    if (i + 1 >= argc) throw std::invalid_argument("'" + flag + "' needs a value (see plan --help)");
    const std::string value = argv[++i];
    if (flag == "--model") a.model = value;
    else if (flag == "--out") a.out = value;
    else if (flag == "--json") a.json = value;
    else if (flag == "--batch") {
      std::stringstream ss(value);
      for (std::string item; std::getline(ss, item, ',');) a.batches.push_back(parse_batch(item));
      if (a.batches.empty()) parse_batch("");
    } else {
      throw std::invalid_argument("unknown flag '" + flag + "' (see plan --help)");
    }
  }
  if (!a.list_models && (a.model.empty() || a.out.empty() || a.batches.empty())) {
    throw std::invalid_argument("--model, --batch and --out are required (see plan --help)");
  }
  return a;
}

// Writes through a temporary file and a rename, so a failed run never leaves half a plan.
void write_file(const std::string& path, const std::string& text) {
  const std::string tmp = path + ".tmp";
  std::ofstream f(tmp, std::ios::binary);
  if (!f || !(f << text) || !(f.flush())) {
    throw std::runtime_error("cannot write '" + path + "': " + std::strerror(errno));
  }
  f.close();
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    std::remove(tmp.c_str());
    throw std::runtime_error("cannot write '" + path + "': " + std::strerror(errno));
  }
}

int run(const Args& a) {
  if (a.list_models) {
    for (const std::string& m : zoo_models()) std::cout << m << "\n";
    return 0;
  }
  std::vector<Graph> plans;
  for (uint32_t batch : a.batches) {
    Graph g = build_zoo_model(a.model, batch);
    derive_schedules(g);
    place(g);
    check_plan(g);
    std::fprintf(stderr, "plan: %s batch %u: arena %llu bytes (lower bound %llu), params %llu bytes, %zu train ops\n",
                 g.model.c_str(), batch, static_cast<unsigned long long>(g.arena_bytes),
                 static_cast<unsigned long long>(g.arena_lower_bound),
                 static_cast<unsigned long long>(g.params_bytes), g.train.size());
    plans.push_back(std::move(g));
  }
  std::ostringstream cpp;
  emit_cpp(cpp, plans);
  write_file(a.out, cpp.str());
  if (!a.json.empty()) {
    std::ostringstream json;
    emit_json(json, plans);
    write_file(a.json, json.str());
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(parse_args(argc, argv));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "plan: error: %s\n", e.what());
    return 1;
  }
}
