// The C++ training API: one Session over a plan baked into the program (the generated file of
// `plan ... --out FILE.gen.cc`, compiled in), which owns the plan's arena and params block,
// allocated once at open(). An app feeds batches (u8 images as the data set stores them, or
// normalised f32 tensors), steps the optimizer, evaluates, saves and restores the training state
// (the state files of edgetrain-train, written atomically), and reads weights and gradients by
// name. Nothing here allocates after open(); every call returns a Status whose message is one
// line saying what is wrong and how to fix it.
//
//   std::unique_ptr<edgetrain::Session> s;
//   if (auto st = edgetrain::Session::open("fashion_net", {}, &s); !st.is_ok()) die(st.message());
//   float loss;
//   s->train_step(images, labels, {0.05f}, &loss);   // images: batch x H x W x C bytes
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>

#include "edgetrain/status.h"

namespace edgetrain {

class Communicator;  // edgetrain/communicator.h

struct SessionOptions {
  uint32_t batch = 0;    // a baked plan's batch; 0: the largest that fits the available memory
  uint32_t threads = 0;  // 0: one per core
  uint32_t seed = 1;     // initial weights (PyTorch's default initialisation, drawn from it)
  // Data parallel: the other ranks (edgetrain/communicator.h), which must outlive the session,
  // for a plan made with `plan --data-parallel`; null: one process.
  Communicator* communicator = nullptr;
  // SyncBatchNorm (PyTorch's torch.nn.SyncBatchNorm): with a communicator, every training
  // BatchNorm averages its batch statistics (forward) and its gradient sums (backward) over the
  // ranks, so R ranks at batch b train as one process at batch R x b, running statistics
  // included. Off (the default, as DistributedDataParallel's): each rank normalises its own batch.
  bool sync_batchnorm = false;
};

// The update of one step. The plan fixes the optimizer (`plan --optimizer sgd|adam|adamw`, as
// PyTorch's torch.optim.SGD, Adam, AdamW; optimizer() says which); these are its settings, which
// may change every step (a schedule). SGD reads lr, momentum and weight_decay; Adam and AdamW
// read lr, weight_decay, beta1, beta2 and eps, and count steps themselves (bias correction).
struct StepSettings {
  float lr = 0.05f;
  float momentum = 0.9f;
  float weight_decay = 0.0f;
  float beta1 = 0.9f;
  float beta2 = 0.999f;
  float eps = 1e-8f;
};

// A tensor of the session, row-major with the plan's layout (activations NHWC, conv weights
// [out][kh][kw][in / groups], FC weights [out][in]); valid until the session is destroyed.
// Where a caller's sampler stands in its data: an epoch of its shuffled order and the next image
// in it. The session keeps it with the state (save() writes it, load() restores it), as
// edgetrain-train does for its epochs.
struct DataPosition {
  uint32_t epoch = 0;
  uint32_t cursor = 0;
};

// The plan's layout, as the planner made it (`plan` prints the same figures).
struct PlanSummary {
  uint64_t arena_bytes = 0;              // the one static arena of the training step
  uint64_t arena_lower_bound_bytes = 0;  // the most bytes any one op needs live at once
  uint64_t params_bytes = 0;             // weights, optimizer state, BatchNorm statistics
  uint64_t predicted_peak_bytes = 0;     // the process's peak RSS, predicted (0: none in the plan)
  uint32_t train_ops = 0;                // ops per training step
};

// What a baked plan takes, known before it is opened (to size the data first, say).
struct PlanInput {
  const char* model = "";
  const char* optimizer = "";  // "sgd", "adam", "adamw" or "none"
  uint32_t batch = 0, height = 0, width = 0, channels = 0, classes = 0;
};

// The time one op of the training step took, summed over the steps since profile(true).
struct OpTime {
  const char* kind = "";    // the op kind, as generated plans spell it ("Conv2dBwdData", ...)
  const char* writes = "";  // the tensor it writes (for an update, the parameter)
  double seconds = 0;
};

struct TensorView {
  const float* data = nullptr;
  uint64_t elements = 0;
  uint32_t rank = 0;
  uint32_t shape[4] = {1, 1, 1, 1};
};

class Session {
 public:
  // The baked plan of `model` (its name in the plan: `plan --list-models`, or the ONNX graph's),
  // at options.batch; checks it, allocates its memory and initialises the weights.
  // model may be null in a program that holds one model's plans.
  static Status open(const char* model, const SessionOptions& options, std::unique_ptr<Session>* out);
  // The plan open() would take now, without allocating anything; open it with its batch.
  static Status find_plan(const char* model, const SessionOptions& options, PlanInput* out);
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  const char* model() const;
  const char* optimizer() const;  // "sgd", "adam", "adamw" (or "none": nothing trains)
  uint32_t batch() const;
  uint32_t height() const;
  uint32_t width() const;
  uint32_t channels() const;
  uint32_t classes() const;
  uint64_t step() const;  // training steps done (restored by load())
  size_t image_bytes() const { return size_t{height()} * width() * channels(); }
  uint32_t threads() const;
  PlanSummary plan_summary() const;

  // The session's own batch buffer (batch() x H x W x C bytes): images written here and passed to
  // train_step() or predict() are used in place, without a copy.
  uint8_t* input();

  DataPosition data_position() const;
  void set_data_position(const DataPosition& position);

  // One training step on batch() images and their labels (0 .. classes() - 1): forward,
  // backward and the update. `images`: batch x H x W x C bytes, normalised by the plan's
  // Normalize op; or normalised floats of the same shape (what the Normalize op would write),
  // for data that is not 8-bit. A non-finite loss is an error (the weights have been updated
  // with it: restore a saved state).
  Status train_step(const uint8_t* images, const int32_t* labels, const StepSettings& settings, float* loss);
  Status train_step(const float* images, const int32_t* labels, const StepSettings& settings, float* loss);

  // The eval-mode forward (BatchNorm on its running statistics) of batch() images:
  // `logits` gets batch x classes() floats.
  Status predict(const uint8_t* images, float* logits);
  Status predict(const float* images, float* logits);

  // The training state (weights, optimizer state, BatchNorm statistics, step, data position), as
  // edgetrain-train saves it: save() is atomic and refuses parameters that are not finite (the
  // file keeps the last good state); load() checks the file is whole and of this model before it
  // changes anything. load_weights() takes only the weights and BatchNorm statistics (e.g. of
  // `plan --onnx ... --weights-out FILE`) and restarts at step 0 with zero optimizer state.
  Status save(const char* path) const;
  Status load(const char* path);
  Status load_weights(const char* path);

  // A parameter (weights, biases, BatchNorm running statistics, optimizer state) by its name in
  // the plan, e.g. "conv1.weight", "bn1.running_mean", "conv1.weight.velocity".
  Status parameter(const char* name, TensorView* out) const;
  // The gradient of parameter `name` from the last train_step. Plans update each parameter right
  // after its gradient's last use and reuse that memory; a gradient is readable after the step
  // only where nothing overwrote it (all of them with `plan --keep-gradients`).
  Status gradient(const char* name, TensorView* out) const;

  // A CRC-32 of the trained state (weights and optimizer state; not BatchNorm's running
  // statistics, which each rank of a data-parallel run keeps from its own batches, unless
  // SessionOptions::sync_batchnorm): equal on every rank of a data-parallel run after every step.
  uint32_t weights_crc() const;

  // Times each op of the training steps from now on (on), or stops (off); op_time(i) for
  // i < plan_summary().train_ops, in the step's order.
  void profile(bool on);
  OpTime op_time(uint32_t op) const;

 private:
  friend struct SessionAccess;  // the runtime's own (runtime/session_access.h)
  struct Impl;
  explicit Session(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// The k largest of `count` values (a row of logits), best first; ties go to the lower index.
// k is at most count.
void top_k(const float* values, uint32_t count, uint32_t k, uint32_t* indices);

}  // namespace edgetrain
