#include "cost/device_profile.h"

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>
#include <stdexcept>
#include <utility>

#include "util/json.h"

namespace edgetrain::planner {

namespace {

const JsonValue& need(const std::string& file, const JsonValue& obj, const std::string& key,
                      JsonValue::Kind kind, const char* what) {
  const JsonValue* v = obj.get(key);
  if (!v) json_fail(file, obj.line, std::string("missing \"") + key + "\" (" + what + ")");
  if (v->kind != kind) json_fail(file, v->line, std::string("\"") + key + "\" must be " + what);
  return *v;
}

uint32_t count(const std::string& file, const JsonValue& v, const std::string& key, double min) {
  if (v.number != std::floor(v.number) || v.number < min || v.number > 4294967295.0) {
    json_fail(file, v.line, "\"" + key + "\" must be an integer >= " + std::to_string(static_cast<int>(min)));
  }
  return static_cast<uint32_t>(v.number);
}

// The tensor name a train op is known by in a profile: see the matching rule in the header.
std::string base_name(const std::string& name) {
  const size_t r = name.rfind("~r");
  if (r == std::string::npos || r + 2 >= name.size()) return name;
  for (size_t i = r + 2; i < name.size(); ++i) {
    if (name[i] < '0' || name[i] > '9') return name;
  }
  return name.substr(0, r);
}

std::string writes(const Graph& g, const Op& op) {
  const TensorId shown = !op.out.empty() && op.out[0] != kNoTensor ? op.out[0] : op.in.at(0);
  return base_name(g.at(shown).name);
}

}  // namespace

DeviceProfile parse_device_profile(const std::string& text, const std::string& filename) {
  const JsonValue doc = parse_json(text, filename);
  if (doc.kind != JsonValue::Object) json_fail(filename, doc.line, "a device profile is one JSON object");
  DeviceProfile p;
  p.file = filename;
  const JsonValue& format = need(filename, doc, "format", JsonValue::String, "\"edgetrain-device-profile\"");
  if (format.text != "edgetrain-device-profile") {
    json_fail(filename, format.line, "\"format\" is '" + format.text + "', not 'edgetrain-device-profile'");
  }
  const JsonValue& version = need(filename, doc, "version", JsonValue::Number, "a number");
  if (version.number != 1) json_fail(filename, version.line, "unsupported \"version\" (this planner reads 1)");
  const JsonValue& model = need(filename, doc, "model", JsonValue::String, "the model's name");
  if (model.text.empty()) json_fail(filename, model.line, "\"model\" is empty");
  p.model = model.text;
  p.model_line = model.line;
  const JsonValue& runs = need(filename, doc, "runs", JsonValue::Array, "an array of runs");
  if (runs.items.empty()) json_fail(filename, runs.line, "\"runs\" is empty");
  std::map<std::string, OpKind> kinds;
  for (uint16_t k = 0; k < kOpKindCount; ++k) kinds[op_kind_name(static_cast<OpKind>(k))] = static_cast<OpKind>(k);
  for (const JsonValue& r : runs.items) {
    if (r.kind != JsonValue::Object) json_fail(filename, r.line, "a run is a JSON object");
    DeviceProfile::Run run;
    run.batch = count(filename, need(filename, r, "batch", JsonValue::Number, "a number"), "batch", 1);
    for (const DeviceProfile::Run& other : p.runs) {
      if (other.batch == run.batch) json_fail(filename, r.line, "a second run of batch " + std::to_string(run.batch));
    }
    const JsonValue& ops = need(filename, r, "ops", JsonValue::Array, "an array of ops");
    if (ops.items.empty()) json_fail(filename, ops.line, "\"ops\" is empty");
    for (const JsonValue& o : ops.items) {
      if (o.kind != JsonValue::Object) json_fail(filename, o.line, "an op is a JSON object");
      DeviceProfile::OpTime t;
      t.index = count(filename, need(filename, o, "index", JsonValue::Number, "a number"), "index", 0);
      const JsonValue& kind = need(filename, o, "kind", JsonValue::String, "an op kind");
      const auto k = kinds.find(kind.text);
      if (k == kinds.end()) json_fail(filename, kind.line, "unknown op kind '" + kind.text + "'");
      t.kind = k->second;
      t.writes = need(filename, o, "writes", JsonValue::String, "a tensor name").text;
      if (t.writes.empty()) json_fail(filename, o.line, "\"writes\" is empty");
      const JsonValue& ms = need(filename, o, "ms", JsonValue::Number, "milliseconds per step");
      if (!(ms.number >= 0 && ms.number <= 1e9)) {
        json_fail(filename, ms.line, "op " + std::to_string(t.index) + " (" + kind.text + " writing '" + t.writes +
                                         "'): \"ms\" must be in [0, 1e9], got " + std::to_string(ms.number));
      }
      t.seconds = ms.number / 1e3;
      run.ops.push_back(std::move(t));
    }
    // A single 0 is an op below the profiler's resolution (the optimizer's updates, printed as
    // 0.0 ms); a run timing none of its ops is no measurement, and its 0/0 forward time printed
    // "+-nan% forward time".
    bool timed_any = false;
    for (const DeviceProfile::OpTime& t : run.ops) timed_any |= op_info(t.kind).phase != OpPhase::Optimizer && t.seconds > 0;
    if (!timed_any) {
      json_fail(filename, r.line, "the run of batch " + std::to_string(run.batch) +
                                      " times every forward and backward op at 0 ms (want measured times > 0)");
    }
    p.runs.push_back(std::move(run));
  }
  if (const JsonValue* oa = doc.get("off_arena_model")) {
    if (oa->kind != JsonValue::Object) json_fail(filename, oa->line, "\"off_arena_model\" must be an object");
    p.has_off_arena = true;
    p.off_arena_line = oa->line;
    const JsonValue& target = need(filename, *oa, "target", JsonValue::String, "\"host\" or \"pi3\"");
    if (target.text != "host" && target.text != "pi3") {
      json_fail(filename, target.line, "unknown off-arena target '" + target.text + "' (known: host, pi3)");
    }
    p.off_arena_target = target.text;
    const auto bytes = [&](const char* key) {
      const JsonValue& v = need(filename, *oa, key, JsonValue::Number, "a number of bytes");
      if (!(std::fabs(v.number) <= 1e12)) json_fail(filename, v.line, std::string("\"") + key + "\" is out of range");
      return v.number;
    };
    p.off_arena = {bytes("load_base_bytes"), bytes("run_base_bytes"), bytes("run_per_image_bytes")};
  }
  return p;
}

OffArenaModel off_arena_model_for(const std::string& target, const DeviceProfile* profile) {
  OffArenaModel m = off_arena_model(target);
  if (profile && profile->has_off_arena) {
    if (profile->off_arena_target != target) {
      json_fail(profile->file, profile->off_arena_line,
                "\"off_arena_model\" is for target '" + profile->off_arena_target + "', the plan for '" +
                    target + "' (pass --target " + profile->off_arena_target + ")");
    }
    m.fit = profile->off_arena;
  }
  return m;
}

DeviceProfile load_device_profile(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw std::invalid_argument("cannot read device profile '" + path + "': " + std::strerror(errno));
  std::ostringstream text;
  text << f.rdbuf();
  return parse_device_profile(text.str(), path);
}

TimeModel time_model_from_profile(const Graph& g, const DeviceProfile& profile, ProfileMatch* match) {
  if (profile.model != g.model) {
    json_fail(profile.file, profile.model_line,
              "the profile is of model '" + profile.model + "', not '" + g.model + "'");
  }
  const DeviceProfile::Run* run = &profile.runs.front();
  for (const DeviceProfile::Run& r : profile.runs) {
    const auto distance = [&](uint32_t b) { return b > g.batch ? b - g.batch : g.batch - b; };
    if (distance(r.batch) < distance(run->batch)) run = &r;
  }
  const double scale = static_cast<double>(g.batch) / run->batch;

  // (kind, name) -> the train ops of the store-all schedule known by it.
  const size_t n = g.forward.size();
  std::map<std::pair<OpKind, std::string>, std::vector<size_t>> by_key;
  for (size_t k = 0; k < g.train.size(); ++k) {
    if (timed(g.train[k])) by_key[{g.train[k].kind, writes(g, g.train[k])}].push_back(k);
  }
  std::vector<double> fwd_sum(n, 0), bwd_sum(g.train.size(), 0);
  std::vector<int> fwd_runs(n, 0);
  std::vector<bool> bwd_measured(g.train.size(), false);
  ProfileMatch m;
  m.run_batch = run->batch;
  for (const DeviceProfile::OpTime& t : run->ops) {
    // A recomputed training BatchNorm runs as BatchNormEval (rewrite.h), a cheaper op than the
    // forward it stands for: not a sample of it.
    if (t.kind == OpKind::BatchNormEval && base_name(t.writes) != t.writes) continue;
    const auto it = by_key.find({t.kind, base_name(t.writes)});
    if (it == by_key.end()) {
      if (op_info(t.kind).phase != OpPhase::Optimizer) ++m.unmatched_ops;
      continue;
    }
    ++m.matched_ops;
    // Several train ops under one key share its time evenly.
    const double seconds = t.seconds * scale / static_cast<double>(it->second.size());
    for (size_t k : it->second) {
      if (k < n) {
        fwd_sum[k] += seconds;
        ++fwd_runs[k];
      } else {
        bwd_sum[k] += seconds;
        bwd_measured[k] = true;
      }
    }
  }
  if (m.matched_ops == 0) {
    json_fail(profile.file, profile.model_line,
              "no op of the profile's batch-" + std::to_string(run->batch) + " run matches a train op of " +
                  g.model + " (see the matching rule in planner/device_profile.h)");
  }
  double measured_seconds = 0, measured_flops = 0;
  for (size_t k = 0; k < g.train.size(); ++k) {
    const bool measured = k < n ? fwd_runs[k] > 0 : bwd_measured[k];
    if (!measured || !timed(g.train[k])) continue;
    measured_seconds += k < n ? fwd_sum[k] / fwd_runs[k] : bwd_sum[k];
    measured_flops += op_flops(g, g.train[k]);
  }
  if (!(measured_seconds > 0)) {
    json_fail(profile.file, profile.model_line,
              "every op of the profile's batch-" + std::to_string(run->batch) + " run that matches " + g.model +
                  " takes 0 ms: no time to plan with (want measured times > 0)");
  }
  TimeModel time;
  if (measured_flops > 0) time.flops_per_second = measured_flops / measured_seconds;
  time.forward_seconds.assign(n, -1.0);
  time.backward_seconds.assign(n, 0.0);
  for (size_t i = 0; i < n; ++i) {
    if (fwd_runs[i] > 0) {
      time.forward_seconds[i] = fwd_sum[i] / fwd_runs[i];
      ++m.covered_forward;
    }
  }
  for (size_t k = n; k < g.train.size(); ++k) {
    const int32_t src = g.train[k].source;
    if (!timed(g.train[k])) continue;
    time.backward_seconds[static_cast<size_t>(src)] +=
        bwd_measured[k] ? bwd_sum[k] : op_flops(g, g.train[k]) / time.flops_per_second;
  }
  // The plan's "+X% forward time" divides by the forward total: it must be a positive time.
  double forward_total = 0;
  for (size_t i = 0; i < n; ++i) forward_total += time.forward(g, static_cast<int32_t>(i));
  if (!(forward_total > 0) || !std::isfinite(forward_total)) {
    json_fail(profile.file, profile.model_line,
              "the profile's batch-" + std::to_string(run->batch) + " run times " + g.model +
                  "'s forward ops at 0 ms in total (want measured times > 0)");
  }
  m.flops_per_second = time.flops_per_second;
  if (match) *match = m;
  return time;
}

}  // namespace edgetrain::planner
