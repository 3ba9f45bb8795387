// Gradient of the mean softmax cross-entropy w.r.t. the logits, for a loss that is the root of
// the graph (d loss = 1): (probs - onehot(label)) / batch.
#include <cassert>

#include "kernels/kernels.h"

void f32_softmax_xent_bwd_scalar(size_t batch, size_t classes, const float* probs,
                                 const int32_t* labels, float* dlogits) {
  assert(batch >= 1);
  assert(probs != nullptr && labels != nullptr && dlogits != nullptr);
  const float scale = 1.0f / static_cast<float>(batch);
  for (size_t n = 0; n < batch; n++) {
    assert(labels[n] >= 0 && static_cast<size_t>(labels[n]) < classes);
    const size_t label = static_cast<size_t>(labels[n]);
    for (size_t k = 0; k < classes; k++) {
      const float onehot = k == label ? 1.0f : 0.0f;
      dlogits[n * classes + k] = (probs[n * classes + k] - onehot) * scale;
    }
  }
}
