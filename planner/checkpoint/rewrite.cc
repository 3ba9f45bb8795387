#include "checkpoint/rewrite.h"

#include <stdexcept>

namespace edgetrain::planner {

void apply_strategy(Graph& g, const Chain& c, const Strategy& s) {
  const size_t n = g.forward.size();
  for (size_t i = 0; i < n; ++i) {
    if (g.train.size() < n || g.train[i].source != static_cast<int32_t>(i)) {
      throw std::logic_error("apply_strategy needs the store-all schedule of derive_schedules");
    }
  }
  std::vector<std::vector<Op>> backward(n);
  std::vector<Op> optimizer;
  for (size_t k = n; k < g.train.size(); ++k) {
    const Op& op = g.train[k];
    (op.source >= 0 ? backward[static_cast<size_t>(op.source)] : optimizer).push_back(op);
  }

  std::vector<TensorId> instance(g.tensors.size());
  for (size_t id = 0; id < instance.size(); ++id) instance[id] = static_cast<TensorId>(id);
  std::vector<int> runs(n, 0);
  std::vector<bool> differentiated(c.stages.size(), false);
  int next_backward = static_cast<int>(c.stages.size()) - 1;
  std::vector<Op> train;
  auto current = [&](TensorId id) { return id == kNoTensor ? id : instance[static_cast<size_t>(id)]; };

  for (const Action& a : s.actions) {
    const Stage& st = c.stages.at(static_cast<size_t>(a.stage));
    if (a.kind == Action::Forward) {
      for (int i = st.first; i < st.end; ++i) {
        Op op = g.forward[static_cast<size_t>(i)];
        op.source = i;
        const int run = runs[static_cast<size_t>(i)]++;
        for (TensorId& id : op.in) id = current(id);
        if (run > 0) {
          if (op.kind == OpKind::BatchNormTrain && op.out.size() == 3) {
            // Normalise with the first run's batch statistics, not compute them again: the same
            // bits (f32_batchnorm_apply_tiled is the training forward's own normalising pass).
            using Train = slot::BatchNormTrain;
            using Eval = slot::BatchNormEval;
            op.kind = OpKind::BatchNormEval;
            op.in[Eval::mean] = current(op.out[Train::mean]);
            op.in[Eval::var] = current(op.out[Train::var]);
            op.out.resize(1);
          }
          op.params.update_running_stats = 0;
          for (TensorId& id : op.out) {
            if (id == kNoTensor) continue;
            Tensor t = g.at(id);
            t.name += "~r" + std::to_string(run);
            const TensorId fresh = g.add(std::move(t));
            instance.push_back(fresh);
            instance[static_cast<size_t>(id)] = fresh;
            id = fresh;
          }
        }
        train.push_back(std::move(op));
      }
    } else {
      if (a.stage != next_backward || differentiated[static_cast<size_t>(a.stage)]) {
        throw std::logic_error(s.policy + ": backward of stage " + std::to_string(a.stage) +
                               " out of order");
      }
      differentiated[static_cast<size_t>(a.stage)] = true;
      --next_backward;
      for (int i = st.end - 1; i >= st.first; --i) {
        if (runs[static_cast<size_t>(i)] == 0) {  // the first run is always before
          throw std::logic_error(s.policy + ": backward of stage " + std::to_string(a.stage) +
                                 " before its forward");
        }
        for (Op op : backward[static_cast<size_t>(i)]) {
          for (TensorId& id : op.in) id = current(id);
          train.push_back(std::move(op));
        }
      }
    }
  }
  if (next_backward != -1) throw std::logic_error(s.policy + ": not every stage is differentiated");
  train.insert(train.end(), optimizer.begin(), optimizer.end());
  g.train = std::move(train);
}

}  // namespace edgetrain::planner
