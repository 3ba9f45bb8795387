// An app on the C++ API: fine-tunes the baked model on an image folder (or any --data DIR
// edgetrain-train reads) and prints the validation accuracy per class.
//   edgetrain-finetune DIR [STEPS]
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <vector>

#include "edgetrain/data_set.h"
#include "edgetrain/session.h"

int fail(const edgetrain::Status& s) {
  std::fprintf(stderr, "edgetrain-finetune: error: %s\n", s.message());
  return 1;
}

int main(int argc, char** argv) {
  if (argc < 2) return std::fprintf(stderr, "usage: edgetrain-finetune DIR [STEPS]\n"), 2;
  const int steps = argc > 2 ? std::atoi(argv[2]) : 200;
  std::unique_ptr<edgetrain::Session> s;
  std::unique_ptr<edgetrain::DataSet> data;
  edgetrain::Status st = edgetrain::Session::open(EDGETRAIN_EXAMPLE_MODEL, {}, &s);
  if (st.is_ok()) st = edgetrain::DataSet::open(argv[1], *s, /*augment=*/false, &data);
  if (!st.is_ok()) return fail(st);
  const uint32_t n = s->batch(), classes = s->classes();
  std::vector<uint8_t> images(n * s->image_bytes());
  std::vector<int32_t> labels(n);
  std::vector<uint32_t> pick(n);
  uint64_t next = 0;
  for (int step = 1; step <= steps; ++step) {  // a stride through the set: every image in turn
    for (uint32_t& p : pick) p = static_cast<uint32_t>(next++ * 7919 % data->count(edgetrain::Split::Train));
    float loss = 0;
    if (!(st = data->read(edgetrain::Split::Train, pick.data(), step, images.data(), labels.data())).is_ok() ||
        !(st = s->train_step(images.data(), labels.data(), {0.05f}, &loss)).is_ok()) {
      return fail(st);
    }
    if (step % 50 == 0 || step == steps) std::printf("step %d/%d  loss %.4f\n", step, steps, loss);
  }
  std::vector<uint32_t> right(classes), seen(classes);
  std::vector<float> logits(n * classes);
  const uint32_t total = data->count(edgetrain::Split::Test) / n * n;  // whole batches
  for (uint32_t first = 0; first < total; first += n) {
    for (uint32_t i = 0; i < n; ++i) pick[i] = first + i;
    if (!(st = data->read(edgetrain::Split::Test, pick.data(), 0, images.data(), labels.data())).is_ok() ||
        !(st = s->predict(images.data(), logits.data())).is_ok()) {
      return fail(st);
    }
    for (uint32_t i = 0; i < n; ++i) {
      uint32_t best = 0;
      edgetrain::top_k(&logits[i * classes], classes, 1, &best);
      ++seen[labels[i]];
      right[labels[i]] += best == static_cast<uint32_t>(labels[i]);
    }
  }
  for (uint32_t c = 0; c < classes; ++c) {
    if (seen[c]) std::printf("class %-12s %5.1f%% of %u\n", data->class_name(c), 100.0 * right[c] / seen[c], seen[c]);
  }
  return 0;
}
