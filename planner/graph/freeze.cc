#include "graph/freeze.h"

#include <algorithm>
#include <cstdio>
#include <stdexcept>

#include "graph/training.h"

namespace edgetrain::planner {

namespace {

std::string layer_name(const std::string& param) {
  const size_t dot = param.rfind('.');
  return dot == std::string::npos ? param : param.substr(0, dot);
}

bool matches(const std::string& layer, const std::string& prefix) {
  return layer == prefix || (layer.size() > prefix.size() && layer.compare(0, prefix.size(), prefix) == 0 &&
                             layer[prefix.size()] == '.');
}

size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] != b[j - 1])});
      diagonal = up;
    }
  }
  return row[b.size()];
}

// Up to five layer names or dot-prefixes of them nearest to `wrong`.
std::string close_names(const std::vector<Layer>& layers, const std::string& wrong) {
  std::vector<std::string> candidates;
  for (const Layer& l : layers) {
    for (size_t dot = l.name.find('.'); dot != std::string::npos; dot = l.name.find('.', dot + 1)) {
      candidates.push_back(l.name.substr(0, dot));
    }
    candidates.push_back(l.name);
  }
  std::sort(candidates.begin(), candidates.end());
  candidates.erase(std::unique(candidates.begin(), candidates.end()), candidates.end());
  std::stable_sort(candidates.begin(), candidates.end(), [&](const std::string& a, const std::string& b) {
    return edit_distance(a, wrong) < edit_distance(b, wrong);
  });
  std::string out;
  for (size_t i = 0; i < candidates.size() && i < 5; ++i) out += (i ? ", " : "") + candidates[i];
  return out;
}

}  // namespace

std::vector<Layer> parameterised_layers(const Graph& g) {
  std::vector<Layer> layers;
  for (size_t i = 0; i < g.forward.size(); ++i) {
    Layer l;
    l.op = static_cast<int32_t>(i);
    for (TensorId id : g.forward[i].in) {
      if (id == kNoTensor || g.at(id).role != Role::Param) continue;
      if (l.params.empty()) l.name = layer_name(g.at(id).name);
      l.params.push_back(id);
      l.parameters += g.at(id).bytes() / 4;
    }
    if (!l.params.empty()) layers.push_back(std::move(l));
  }
  return layers;
}

Frozen freeze_layers(Graph& g, const FreezeSpec& spec) {
  const std::vector<Layer> layers = parameterised_layers(g);
  Frozen f;
  f.params.assign(g.tensors.size(), false);
  f.total_layers = layers.size();
  std::vector<bool> frozen_layer(layers.size(), false);
  for (const std::string& prefix : spec.layers) {
    bool any = false;
    for (size_t k = 0; k < layers.size(); ++k) {
      if (matches(layers[k].name, prefix)) frozen_layer[k] = any = true;
    }
    if (!any) {
      throw std::invalid_argument("--freeze '" + prefix + "' matches no layer of " + g.model + " (close: " +
                                  close_names(layers, prefix) + "; plan --list-layers lists all " +
                                  std::to_string(layers.size()) + ")");
    }
  }
  if (spec.train_last > layers.size()) {
    throw std::invalid_argument("--train-last " + std::to_string(spec.train_last) + ": " + g.model + " has " +
                                std::to_string(layers.size()) + " layers with parameters");
  }
  if (spec.train_last > 0) {
    for (size_t k = 0; k + spec.train_last < layers.size(); ++k) frozen_layer[k] = true;
  }
  for (size_t k = 0; k < layers.size(); ++k) {
    f.total_parameters += layers[k].parameters;
    if (!frozen_layer[k]) {
      if (f.first_trainable.empty()) f.first_trainable = layers[k].name;
      continue;
    }
    ++f.layers;
    f.parameters += layers[k].parameters;
    for (TensorId id : layers[k].params) f.params[static_cast<size_t>(id)] = true;
  }
  if (f.layers == layers.size() && !layers.empty()) {
    throw std::invalid_argument("nothing left to train: every layer of " + g.model + " is frozen");
  }
  const std::vector<bool> rg = requires_grad(g, f.params);
  for (size_t k = 0; k < layers.size(); ++k) {
    Op& op = g.forward[static_cast<size_t>(layers[k].op)];
    if (!frozen_layer[k] || op.kind != OpKind::BatchNormTrain) continue;
    if (rg[op.in[slot::BatchNormTrain::x]]) {
      throw std::invalid_argument("frozen BatchNorm '" + layers[k].name + "' lies above trainable layer '" +
                                  f.first_trainable + "': eval-mode BatchNorm has no backward here, so "
                                  "freeze the layers below it too (e.g. --train-last N)");
    }
    // Eval mode: running statistics normalise, none are updated, no batch statistics exist.
    op.kind = OpKind::BatchNormEval;
    op.out.resize(1);
    op.params.update_running_stats = 0;
  }
  return f;
}

std::string describe_frozen(const Graph& g, const Frozen& f) {
  char line[512];
  std::snprintf(line, sizeof line, "%s: %zu of %zu layers frozen (%llu of %llu parameters), trained from '%s'",
                g.model.c_str(), f.layers, f.total_layers, static_cast<unsigned long long>(f.parameters),
                static_cast<unsigned long long>(f.total_parameters), f.first_trainable.c_str());
  return line;
}

}  // namespace edgetrain::planner
