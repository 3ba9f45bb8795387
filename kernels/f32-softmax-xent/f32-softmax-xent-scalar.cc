// Softmax cross-entropy, mean over the batch. The row maximum is subtracted before exp so large
// logits neither overflow nor lose the small classes; the loss uses log-sum-exp directly rather
// than log(prob), which would be -inf for a probability that underflows.
#include <cassert>
#include <cmath>

#include "kernels/kernels.h"

void f32_softmax_xent_scalar(size_t batch, size_t classes, const float* logits,
                             const int32_t* labels, float* loss, float* probs) {
  assert(batch >= 1 && classes >= 1);
  assert(logits != nullptr && labels != nullptr && loss != nullptr && probs != nullptr);
  double total = 0.0;
  for (size_t n = 0; n < batch; n++) {
    const float* l = logits + n * classes;
    float* p = probs + n * classes;
    assert(labels[n] >= 0 && static_cast<size_t>(labels[n]) < classes);
    float m = l[0];
    for (size_t k = 1; k < classes; k++) m = l[k] > m ? l[k] : m;
    float sum = 0.0f;
    for (size_t k = 0; k < classes; k++) {
      p[k] = std::exp(l[k] - m);
      sum += p[k];
    }
    const float inv = 1.0f / sum;
    for (size_t k = 0; k < classes; k++) p[k] *= inv;
    total += static_cast<double>(std::log(sum)) -
             static_cast<double>(l[static_cast<size_t>(labels[n])] - m);
  }
  *loss = static_cast<float>(total / static_cast<double>(batch));
}
