// The training loop of edgetrain-train, on the C++ API (edgetrain/session.h): batches from an
// ImageSet, progress lines, saves, evaluation.
#pragma once

#include <cstdint>
#include <cstdio>
#include <vector>

#include "edgetrain/communicator.h"
#include "edgetrain/session.h"
#include "idx_dataset.h"
#include "state_file.h"

namespace edgetrain {

// Learning rate over the run: constant, or cosine decay from lr to 0 at `steps` (as PyTorch's
// CosineAnnealingLR with T_max = steps, stepped once per step).
enum class LrSchedule { Constant, Cosine };
float scheduled_lr(float lr, LrSchedule schedule, uint64_t step, uint32_t steps);

// How progress is written: lines for people, or one JSON object per line for tools
// ({"event": "plan"|"initial_state"|"resumed"|"step"|"saved"|"stopped"|"profile"|"profile_total"|
// "eval"|"memory", ...}; see README "Training").
enum class LogFormat { Text, Json };

// One JSON object on one line, written field by field straight to the stream (no allocation, so
// it may run between training steps). Floating-point numbers are printed in their shortest form
// that reads back as the same double (std::to_chars); non-finite ones as null.
class JsonLine {
 public:
  JsonLine(FILE* out, const char* event);
  ~JsonLine();  // closes the object, writes the newline and flushes
  JsonLine(const JsonLine&) = delete;
  JsonLine& operator=(const JsonLine&) = delete;
  JsonLine& integer(const char* key, uint64_t value);
  JsonLine& number(const char* key, double value);
  JsonLine& string(const char* key, const char* value);
  JsonLine& boolean(const char* key, bool value);
  JsonLine& null(const char* key);

 private:
  void key(const char* name);
  FILE* out_;
};

struct TrainOptions {
  uint32_t steps = 300;  // total, counting steps done before a resume
  uint32_t stop_after = 0;  // when nonzero, stop (and save) at this step of `steps`: a later
                            // --resume continues the same run, learning-rate schedule included
  uint32_t log_every = 50;
  uint32_t seed = 1;  // weights and shuffling
  StepSettings optimizer;
  LrSchedule schedule = LrSchedule::Constant;
  const char* save_path = nullptr;  // training state, saved every save_every steps and at the end
  uint32_t save_every = 100;
  bool augment = false;  // random crops and mirrors of image files (image_resample.h)
  bool resumed = false;  // save_path already holds the state at the starting position (--resume)
  LogFormat log_format = LogFormat::Text;
  // Data parallel (edgetrain/communicator.h; the session opened with the same one): each step
  // takes a global batch of size() x batch images of the epoch order, of which this rank trains
  // on images rank(), rank() + size(), ...; the printed loss is the global batch's mean; every
  // check_every steps (and at the first and last) the ranks compare CRCs of their weights.
  Communicator* comm = nullptr;
  uint32_t check_every = 50;
};

// Trains from where the session stands (its step and data position: a fresh one, or as load()
// left it) until options.steps steps are done, over epochs of `data` each shuffled from (seed,
// epoch), printing a line every log_every steps and saving the state if asked. Each step's
// settings are options.optimizer with the scheduled lr; the session counts the steps, so Adam's
// bias corrections continue where a resumed run stopped.
// A non-finite loss stops training; the last saved state is left as it was, and the error says
// which step it holds (or that no state was saved).
// `damaged` (if given) adds the image files found unreadable (each warned about on stderr).
Status train(Session& session, const ImageSet& data, const TrainOptions& options, FILE* log,
             uint32_t* damaged = nullptr);

// A table of the train ops' times (Session::profile) per step, slowest first.
void print_op_times(const Session& session, uint32_t steps, FILE* out, LogFormat format = LogFormat::Text);

// The process's peak RSS (VmHWM) against the plan's prediction (predicted_peak_bytes,
// when the planner made one) plus `loader_bytes` (BatchLoader::buffer_bytes), with XNNPACK's
// region for reference: one line. The planner predicts for Fashion-MNIST's IDX files or
// synthetic data (plan --data); for other data (`data_as_planned` false: image folders, CIFAR-10)
// the line gives the measurement and the loader's buffers without a comparison.
void print_peak_rss(const PlanSummary& plan, FILE* out, LogFormat format = LogFormat::Text, uint64_t loader_bytes = 0,
                    bool data_as_planned = true);

// Data parallel: this rank's communication per step (CommStats), and the share of the allreduce
// time hidden behind backward (1 - blocked / reduce): one line.
void print_comm_stats(const CommStats& stats, uint64_t steps, FILE* out, LogFormat format = LogFormat::Text);

// Top-1 accuracy over the first `limit` images (all when 0), BatchNorm in eval mode.
Status evaluate(Session& session, const ImageSet& data, uint32_t limit, uint32_t* correct, uint32_t* total,
                uint32_t* damaged = nullptr);

}  // namespace edgetrain
