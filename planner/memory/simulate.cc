#include "memory/simulate.h"

#include <algorithm>
#include <array>
#include <stdexcept>
#include <utility>
#include <vector>

#include "memory/liveness.h"

namespace edgetrain::planner {

namespace {

bool share_bytes(const Tensor& a, const Tensor& b) {
  return a.region() == b.region() && a.offset < b.offset + aligned_bytes(b.bytes()) &&
         b.offset < a.offset + aligned_bytes(a.bytes());
}

// Which write last touched each byte range, so that "does t still hold its value" is one query
// instead of a scan of every tensor at every write (quadratic: 40k-layer models took minutes).
// A tensor holds its value iff the latest write to any of its bytes is its own: exactly the
// share_bytes rule, with writes numbered in order. Each tensor is a closed range of doubled
// coordinates, [2 offset + 1, 2 end - 1], or the point 2 offset when it has no bytes: two ranges
// meet iff share_bytes says so (two empty tensors at one offset meet here, not there; no plan
// has empty tensors). Ranges are compressed to the points that occur, per region.
class LastWrites {
 public:
  explicit LastWrites(const Graph& g) : range_(g.tensors.size()) {
    std::vector<std::pair<int, uint64_t>> keys;  // (region, coordinate)
    for (const Tensor& t : g.tensors) {
      for (uint64_t c : coords(t)) keys.emplace_back(static_cast<int>(t.region()), c);
    }
    std::sort(keys.begin(), keys.end());
    keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
    for (size_t id = 0; id < g.tensors.size(); ++id) {
      const Tensor& t = g.tensors[id];
      const auto at = [&](uint64_t c) {
        return static_cast<size_t>(std::lower_bound(keys.begin(), keys.end(), std::make_pair(static_cast<int>(t.region()), c)) - keys.begin());
      };
      range_[id] = {at(coords(t)[0]), at(coords(t)[1])};
    }
    leaves_ = std::max<size_t>(keys.size(), 1);
    cover_.assign(4 * leaves_, -1);
    below_.assign(4 * leaves_, -1);
  }

  void write(TensorId id, int64_t when) { update(1, 0, leaves_ - 1, range_[id].first, range_[id].second, when); }
  int64_t latest(TensorId id) const { return query(1, 0, leaves_ - 1, range_[id].first, range_[id].second); }

 private:
  static std::array<uint64_t, 2> coords(const Tensor& t) {
    const uint64_t size = aligned_bytes(t.bytes());
    if (size == 0) return {2 * t.offset, 2 * t.offset};
    return {2 * t.offset + 1, 2 * (t.offset + size) - 1};
  }
  // cover_: the latest write covering the node's whole span; below_: the latest touching it.
  void update(size_t node, size_t lo, size_t hi, size_t l, size_t r, int64_t v) {
    if (r < lo || hi < l) return;
    below_[node] = std::max(below_[node], v);
    if (l <= lo && hi <= r) {
      cover_[node] = std::max(cover_[node], v);
      return;
    }
    const size_t mid = (lo + hi) / 2;
    update(2 * node, lo, mid, l, r, v);
    update(2 * node + 1, mid + 1, hi, l, r, v);
  }
  int64_t query(size_t node, size_t lo, size_t hi, size_t l, size_t r) const {
    if (r < lo || hi < l) return -1;
    if (l <= lo && hi <= r) return below_[node];
    const size_t mid = (lo + hi) / 2;
    return std::max({cover_[node], query(2 * node, lo, mid, l, r), query(2 * node + 1, mid + 1, hi, l, r)});
  }

  std::vector<std::pair<size_t, size_t>> range_;  // per tensor, leaf indices
  size_t leaves_ = 1;
  std::vector<int64_t> cover_, below_;
};

}  // namespace

std::string simulate(const Graph& g, const std::vector<Op>& schedule, TensorId read_after) {
  // written_at[t]: when t was last written (0: before the schedule, -1: never); it holds its value
  // iff no write since then touched its bytes.
  LastWrites writes(g);
  std::vector<int64_t> written_at(g.tensors.size(), -1);
  for (size_t id = 0; id < g.tensors.size(); ++id) {
    const Role role = g.tensors[id].role;
    if (g.tensors[id].region() == Region::Params || role == Role::Input || role == Role::Label) {
      written_at[id] = 0;
      writes.write(static_cast<TensorId>(id), 0);
    }
  }
  const auto valid = [&](TensorId id) { return written_at[id] >= 0 && writes.latest(id) == written_at[id]; };
  int64_t clock = 0;
  for (size_t i = 0; i < schedule.size(); ++i) {
    const Op& op = schedule[i];
    const std::string where = "op " + std::to_string(i) + " (" + op_name(op.kind) + ")";
    for (TensorId in : op.in) {
      if (in != kNoTensor && !valid(in)) {
        return where + " reads '" + g.at(in).name + "', which is not written or was overwritten";
      }
    }
    // The one write over an input the runtime allows: out[0] over in[k], where the kernel
    // reads each element before writing it, exactly on top (same offset and bytes).
    TensorId over = kNoTensor;
    if (op.params.in_place != 0) {
      const int k = op.params.in_place - 1;
      if (!op_allows_in_place(op.kind, k) || k >= static_cast<int>(op.in.size()) ||
          op.in[static_cast<size_t>(k)] == kNoTensor || op.out.empty() || op.out[0] == kNoTensor) {
        return where + " has in_place " + std::to_string(op.params.in_place) +
               ", which its kernel does not allow";
      }
      over = op.in[static_cast<size_t>(k)];
      const Tensor& a = g.at(over);
      const Tensor& b = g.at(op.out[0]);
      if (a.region() != b.region() || a.offset != b.offset || aligned_bytes(a.bytes()) != aligned_bytes(b.bytes())) {
        return where + " writes '" + b.name + "' in place of '" + a.name + "' at another offset or size";
      }
      for (size_t j = 0; j < op.in.size(); ++j) {
        if (static_cast<int>(j) != k && op.in[j] == over) {
          return where + " writes in place of '" + a.name + "', which it also reads in another slot";
        }
      }
    }
    std::vector<TensorId> written = op.out;
    if (op.workspace != kNoTensor) written.push_back(op.workspace);
    for (TensorId out : written) {
      if (out == kNoTensor) continue;
      if (out == op.workspace) {
        for (TensorId o : op.out) {
          if (o != kNoTensor && share_bytes(g.at(o), g.at(out))) {
            return where + " has its workspace on its output '" + g.at(o).name + "'";
          }
        }
      }
      for (TensorId in : op.in) {
        if (in != kNoTensor && in != out && !(out == op.out[0] && in == over) && share_bytes(g.at(in), g.at(out))) {
          return where + " writes '" + g.at(out).name + "' over its own input '" + g.at(in).name + "'";
        }
      }
      written_at[out] = ++clock;  // every tensor sharing its bytes no longer holds its value
      writes.write(out, clock);
    }
  }
  if (read_after != kNoTensor && !valid(read_after)) {
    return "'" + g.at(read_after).name + "' is overwritten before the step ends";
  }
  return {};
}

namespace {

// The runtime's own operand check (plan_format.h), on the op as the plan will hold it.
std::string slot_problem(const Op& op, size_t index) {
  OpDesc d{op.kind, {}, {}, op.workspace, op.params};
  if (op.in.size() > kMaxOpInputs || op.out.size() > kMaxOpOutputs) return "op " + std::to_string(index) + " has too many operands";
  for (int k = 0; k < kMaxOpInputs; ++k) d.in[k] = k < static_cast<int>(op.in.size()) ? op.in[static_cast<size_t>(k)] : kNoTensor;
  for (int k = 0; k < kMaxOpOutputs; ++k) d.out[k] = k < static_cast<int>(op.out.size()) ? op.out[static_cast<size_t>(k)] : kNoTensor;
  const char* problem = op_slot_problem(d);
  return problem == nullptr ? "" : "op " + std::to_string(index) + " (" + op_name(op.kind) + ") " + problem;
}

}  // namespace

void check_plan(const Graph& g) {
  for (const auto* schedule : {&g.train, &g.eval}) {
    std::string problem = simulate(g, *schedule, schedule == &g.train ? g.loss : g.logits);
    for (size_t i = 0; i < schedule->size() && problem.empty(); ++i) problem = slot_problem((*schedule)[i], i);
    for (size_t i = 0; i < schedule->size() && problem.empty() && schedule == &g.eval; ++i) {
      if (op_info((*schedule)[i].kind).phase != OpPhase::Forward) problem = "op " + std::to_string(i) + " is not a forward op";
    }
    if (!problem.empty()) {
      throw std::logic_error(g.model + " batch " + std::to_string(g.batch) + ", " +
                             (schedule == &g.train ? "train" : "eval") + " schedule: " + problem);
    }
  }
}

}  // namespace edgetrain::planner
