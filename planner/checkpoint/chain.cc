#include "checkpoint/chain.h"

#include <algorithm>
#include <map>
#include <stdexcept>

#include "memory/liveness.h"

namespace edgetrain::planner {

namespace {

bool in_arena(const Graph& g, TensorId id) {
  return id != kNoTensor && g.at(id).region() == Region::Arena && g.at(id).role != Role::Label;
}

// Peak of live arena bytes over `ops`, starting with `initial` live, where a tensor dies after
// its last read within `ops` unless it is in `keep`. `exclude` is never counted (the stage's
// input, held by the caller).
uint64_t peak_bytes(const Graph& g, const std::vector<const Op*>& ops,
                    const std::vector<TensorId>& initial, const std::vector<TensorId>& keep,
                    TensorId exclude) {
  std::map<TensorId, int> last_read;
  for (size_t k = 0; k < ops.size(); ++k) {
    for (TensorId id : ops[k]->in) {
      if (id != kNoTensor) last_read[id] = static_cast<int>(k);
    }
  }
  std::map<TensorId, uint64_t> live;
  auto bytes = [&](TensorId id) { return aligned_bytes(g.at(id).bytes()); };
  for (TensorId id : initial) {
    if (in_arena(g, id) && id != exclude) live[id] = bytes(id);
  }
  uint64_t peak = 0;
  auto total = [&] {
    uint64_t s = 0;
    for (const auto& [id, b] : live) s += b;
    return s;
  };
  peak = total();
  auto dies_here = [&](TensorId id, size_t k) {
    const auto r = last_read.find(id);
    return r != last_read.end() && r->second == static_cast<int>(k) &&
           std::find(keep.begin(), keep.end(), id) == keep.end();
  };
  for (size_t k = 0; k < ops.size(); ++k) {
    const Op& op = *ops[k];
    // In-place writes (in_place.h): out[0] takes over an allowed input that dies here.
    for (size_t j = 0; j < op.in.size() && !op.out.empty() && op.out[0] != kNoTensor; ++j) {
      const TensorId id = op.in[j];
      if (!op_allows_in_place(op.kind, static_cast<int>(j)) || !live.count(id) || !dies_here(id, k)) continue;
      if (g.at(id).role == Role::Input || bytes(id) != bytes(op.out[0])) continue;
      if (std::count(op.in.begin(), op.in.end(), id) != 1) continue;
      live.erase(id);
      break;
    }
    for (TensorId id : op.out) {
      if (in_arena(g, id) && id != exclude) live[id] = bytes(id);
    }
    uint64_t now = total();
    if (op.workspace != kNoTensor) now += bytes(op.workspace);
    peak = std::max(peak, now);
    for (auto it = live.begin(); it != live.end();) {
      const auto r = last_read.find(it->first);
      const bool dead = (r == last_read.end() || r->second <= static_cast<int>(k)) &&
                        std::find(keep.begin(), keep.end(), it->first) == keep.end();
      it = dead ? live.erase(it) : std::next(it);
    }
  }
  return peak;
}

}  // namespace

bool is_batchnorm_stat(const Graph& g, TensorId id) {
  for (const Op& op : g.forward) {
    using S = slot::BatchNormTrain;
    if (op.kind == OpKind::BatchNormTrain && op.out.size() == 3 && (op.out[S::mean] == id || op.out[S::var] == id)) {
      return true;
    }
  }
  return false;
}

Chain build_chain(const Graph& g, const TimeModel& time) {
  const int n = static_cast<int>(g.forward.size());
  // last forward reader of each tensor, to find the borders one activation crosses
  std::vector<int> last_reader(g.tensors.size(), -1);
  for (int i = 0; i < n; ++i) {
    for (TensorId id : g.forward[static_cast<size_t>(i)].in) {
      if (id != kNoTensor) last_reader[id] = i;
    }
  }
  Chain c;
  Stage cur{0, 0, g.input, kNoTensor};
  std::vector<TensorId> crossing;  // activations produced so far and read later
  for (int i = 0; i < n; ++i) {
    const Op& op = g.forward[static_cast<size_t>(i)];
    for (TensorId id : op.out) {
      if (id != kNoTensor && last_reader[id] > i) crossing.push_back(id);
    }
    crossing.erase(std::remove_if(crossing.begin(), crossing.end(),
                                  [&](TensorId id) { return last_reader[id] <= i; }),
                   crossing.end());
    const bool image_done = last_reader[g.input] <= i;
    if (i + 1 < n && crossing.size() == 1 && image_done) {
      cur.end = i + 1;
      cur.output = crossing[0];
      c.stages.push_back(cur);
      cur = Stage{i + 1, 0, crossing[0], kNoTensor};
    }
  }
  cur.end = n;
  cur.output = g.loss;
  c.stages.push_back(cur);

  // Backward ops by the forward op they belong to, in schedule order.
  std::vector<std::vector<const Op*>> backward(static_cast<size_t>(n));
  for (size_t k = static_cast<size_t>(n); k < g.train.size(); ++k) {
    if (g.train[k].source >= 0) backward[static_cast<size_t>(g.train[k].source)].push_back(&g.train[k]);
  }
  std::vector<TensorId> grad_of(g.tensors.size(), kNoTensor);  // gradient crossing a border
  const std::vector<double> backward_time = time.backward_all(g);
  for (const Stage& s : c.stages) {
    StageCost cost;
    std::vector<const Op*> fwd, bwd;
    for (int i = s.first; i < s.end; ++i) {
      fwd.push_back(&g.forward[static_cast<size_t>(i)]);
      cost.forward_time += time.forward(g, i);
      cost.backward_time += backward_time[static_cast<size_t>(i)];
    }
    for (int i = s.end - 1; i >= s.first; --i) {
      for (const Op* op : backward[static_cast<size_t>(i)]) bwd.push_back(op);
    }
    std::vector<TensorId> produced, saved;
    for (const Op* op : fwd) produced.insert(produced.end(), op->out.begin(), op->out.end());
    std::vector<TensorId> bwd_outputs;
    for (const Op* op : bwd) bwd_outputs.insert(bwd_outputs.end(), op->out.begin(), op->out.end());
    std::vector<TensorId> bwd_initial;  // read by the backward, written before it
    for (const Op* op : bwd) {
      for (TensorId id : op->in) {
        if (id == s.input) cost.backward_reads_input = true;
        if (!in_arena(g, id) || id == s.input) continue;
        if (std::find(bwd_outputs.begin(), bwd_outputs.end(), id) != bwd_outputs.end()) continue;
        if (std::find(bwd_initial.begin(), bwd_initial.end(), id) != bwd_initial.end()) continue;
        bwd_initial.push_back(id);
        const bool forward_value = std::find(produced.begin(), produced.end(), id) != produced.end();
        if (id == s.output) {
          cost.backward_reads_output = true;
          cost.backward_reads_forward = true;
        } else if (forward_value) {
          if (!is_batchnorm_stat(g, id)) cost.backward_reads_forward = true;
          saved.push_back(id);
          cost.saved += aligned_bytes(g.at(id).bytes());
        } else {
          cost.grad_output += aligned_bytes(g.at(id).bytes());  // dy from the next stage
        }
      }
    }
    cost.input = s.input == g.input ? 0 : aligned_bytes(g.at(s.input).bytes());
    cost.output = aligned_bytes(g.at(s.output).bytes());
    std::vector<TensorId> keep_all = saved;
    keep_all.push_back(s.output);
    cost.peak_keep_all = peak_bytes(g, fwd, {}, keep_all, s.input);
    cost.peak_keep_none = peak_bytes(g, fwd, {}, {s.output}, s.input);
    if (s.input == g.input) {  // the image is never given up
      cost.peak_keep_all_consumed = cost.input + cost.peak_keep_all;
      cost.peak_keep_none_consumed = cost.input + cost.peak_keep_none;
    } else {
      cost.peak_keep_all_consumed = peak_bytes(g, fwd, {s.input}, keep_all, kNoTensor);
      cost.peak_keep_none_consumed = peak_bytes(g, fwd, {s.input}, {s.output}, kNoTensor);
    }
    // The gradient of the input stays: it is the stage's result.
    std::vector<TensorId> keep_grad;
    for (TensorId id : bwd_outputs) {
      if (in_arena(g, id)) keep_grad.push_back(id);  // candidates; those read later die below
    }
    // Only gradients read by no op of this stage's backward leave it (the input's gradient).
    std::vector<TensorId> leaving;
    for (TensorId id : keep_grad) {
      bool read = false;
      for (const Op* op : bwd) read |= std::find(op->in.begin(), op->in.end(), id) != op->in.end();
      if (!read) leaving.push_back(id);
    }
    cost.peak_backward = peak_bytes(g, bwd, bwd_initial, leaving, s.input);
    c.costs.push_back(cost);
  }
  return c;
}

}  // namespace edgetrain::planner
