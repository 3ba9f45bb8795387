#include "graph/allreduce.h"

#include <algorithm>
#include <stdexcept>
#include <vector>

namespace edgetrain::planner {

namespace {

bool is_update(const Op& op) { return op_info(op.kind).phase == OpPhase::Optimizer; }

struct Bucket {
  std::vector<TensorId> grads;
  size_t start_after = 0;  // index (old schedule) of the op that writes its last gradient
};

Op comm_op(OpKind kind, const Bucket& b, uint32_t number) {
  Op op{kind, b.grads, {}};
  op.params.groups = number;
  op.source = -1;  // not a layer's op: neither timed by the FLOP model nor moved by a rewrite
  return op;
}

}  // namespace

void add_gradient_allreduce(Graph& g, uint64_t bucket_bytes) {
  const std::vector<Op>& old = g.train;
  const size_t n = old.size();
  // Per tensor: the last op writing it, the last non-update op reading or writing it.
  std::vector<size_t> writer(g.tensors.size(), n), last_use(g.tensors.size(), n);
  std::vector<size_t> update_of(g.tensors.size(), n);  // a gradient's update op
  for (size_t i = 0; i < n; ++i) {
    const Op& op = old[i];
    if (is_update(op)) {
      update_of[static_cast<size_t>(op.in[slot::SgdMomentum::dw])] = i;
      continue;
    }
    for (TensorId id : op.out) {
      if (id != kNoTensor) writer[static_cast<size_t>(id)] = last_use[static_cast<size_t>(id)] = i;
    }
    for (TensorId id : op.in) {
      if (id != kNoTensor) last_use[static_cast<size_t>(id)] = i;
    }
  }
  std::vector<TensorId> grads;
  for (size_t id = 0; id < g.tensors.size(); ++id) {
    if (g.tensors[id].role != Role::ParamGrad) continue;
    if (update_of[id] == n || writer[id] == n) {
      throw std::logic_error("data parallel: gradient '" + g.tensors[id].name + "' has no writer or no update");
    }
    grads.push_back(static_cast<TensorId>(id));
  }
  if (grads.empty()) return;
  std::stable_sort(grads.begin(), grads.end(), [&](TensorId a, TensorId b) {
    return writer[static_cast<size_t>(a)] < writer[static_cast<size_t>(b)];
  });
  std::vector<Bucket> buckets;
  uint64_t bytes = 0;
  for (TensorId id : grads) {
    const uint64_t size = g.at(id).bytes();
    if (buckets.empty() || buckets.back().grads.size() == kMaxOpInputs || bytes + size > bucket_bytes) {
      buckets.emplace_back();
      bytes = 0;
    }
    buckets.back().grads.push_back(id);
    buckets.back().start_after = writer[static_cast<size_t>(id)];
    bytes += size;
  }

  // Each update waits for its bucket's Wait and for the last other use of its parameter.
  struct Pending {
    size_t update;     // index in `old`
    size_t ready_at;   // old index after which it may run (the parameter's last other use)
  };
  std::vector<std::vector<Pending>> waiting(buckets.size());
  for (size_t k = 0; k < buckets.size(); ++k) {
    for (TensorId grad : buckets[k].grads) {
      const size_t u = update_of[static_cast<size_t>(grad)];
      const auto w = static_cast<size_t>(old[u].in[slot::SgdMomentum::w]);
      waiting[k].push_back({u, last_use[w] == n ? 0 : last_use[w]});
    }
  }
  std::vector<Op> train;
  train.reserve(n + 2 * buckets.size());
  std::vector<Pending> released;  // after their Wait, before their parameter's last use
  const auto release = [&](size_t done) {  // `done`: old ops up to this index have run
    for (auto it = released.begin(); it != released.end();) {
      if (it->ready_at <= done) {
        train.push_back(old[it->update]);
        it = released.erase(it);
      } else {
        ++it;
      }
    }
  };
  const auto wait = [&](size_t k, size_t done) {
    train.push_back(comm_op(OpKind::GradAllReduceWait, buckets[k], static_cast<uint32_t>(k)));
    released.insert(released.end(), waiting[k].begin(), waiting[k].end());
    release(done);
  };
  size_t next = 0;  // the next bucket to start
  for (size_t i = 0; i < n; ++i) {
    const Op& op = old[i];
    const bool bucketed = is_update(op) && g.at(op.in[slot::SgdMomentum::dw]).role == Role::ParamGrad;
    if (!bucketed) train.push_back(op);
    while (next < buckets.size() && buckets[next].start_after == i) {
      train.push_back(comm_op(OpKind::GradAllReduceStart, buckets[next], static_cast<uint32_t>(next)));
      if (next > 0) wait(next - 1, i);
      ++next;
    }
    release(i);
  }
  wait(buckets.size() - 1, n);
  if (!released.empty()) throw std::logic_error("data parallel: an update was never placed");
  g.train = std::move(train);
}

std::string describe_buckets(const Graph& g) {
  size_t buckets = 0;
  uint64_t total = 0, largest = 0;
  for (const Op& op : g.train) {
    if (op.kind != OpKind::GradAllReduceStart) continue;
    uint64_t bytes = 0;
    for (TensorId id : op.in) bytes += g.at(id).bytes();
    ++buckets;
    total += bytes;
    largest = std::max(largest, bytes);
  }
  return "data parallel: " + std::to_string(buckets) + " gradient buckets (up to " +
         std::to_string(g.allreduce_bucket_bytes) + " bytes), " + std::to_string(total) +
         " bytes of gradients per step, the largest bucket " + std::to_string(largest) + " bytes";
}

}  // namespace edgetrain::planner
