#include "trainer.h"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstring>
#include <numeric>
#include <vector>

#include "batch_loader.h"
#include "memory_info.h"
#include "kernels/splitmix.h"
#include "xnn_context.h"

namespace edgetrain {

namespace {

// The training order of one epoch: a permutation that depends only on (seed, epoch), so a
// resumed run needs just the epoch and the cursor to continue where it stopped.
void epoch_order(uint32_t seed, uint32_t epoch, std::vector<uint32_t>& order) {
  std::iota(order.begin(), order.end(), 0u);
  uint64_t state = (uint64_t{seed} << 32 | epoch) * 0x2545f4914f6cdd1dull;
  for (size_t i = order.size(); i > 1; --i) std::swap(order[i - 1], order[splitmix_next(state) % i]);
}

// Where the epochs stand: the next image is order[cursor] of `epoch`'s order.
struct Sampler {
  uint32_t seed, epoch;
  uint32_t cursor;
  std::vector<uint32_t> order;

  Sampler(uint32_t s, uint32_t e, uint32_t c, uint32_t count) : seed(s), epoch(e), cursor(c), order(count) {
    epoch_order(seed, epoch, order);
  }
  void draw(uint32_t* indices, uint32_t batch) {
    for (uint32_t b = 0; b < batch; ++b) {
      if (cursor >= order.size()) {
        epoch_order(seed, ++epoch, order);
        cursor = 0;
      }
      indices[b] = order[cursor++];
    }
  }
};

// Data parallel: this rank's share of one global batch drawn from the epoch order.
struct Shard {
  uint32_t rank = 0, ranks = 1;
  std::vector<uint32_t> global;
  void draw(Sampler& s, uint32_t* indices, uint32_t batch) {
    if (ranks == 1) return s.draw(indices, batch);
    s.draw(global.data(), batch * ranks);
    for (uint32_t b = 0; b < batch; ++b) indices[b] = global[size_t{b} * ranks + rank];
  }
};

// The ranks' weights after `step`: equal everywhere, or the error that stops the run.
Status check_weights(Session& session, Communicator& comm, std::vector<uint32_t>& crcs, uint64_t step) {
  EDGETRAIN_RETURN_IF_ERROR(comm.all_gather(session.weights_crc(), crcs.data()));
  for (uint32_t r = 1; r < comm.size(); ++r) {
    if (crcs[r] != crcs[0]) {
      return Status::error(StatusCode::BadData,
                           "rank %u's weights differ from rank 0's after step %llu (CRC %08x, rank 0's %08x): the "
                           "ranks diverged (different plans, state files or binaries?); stopping",
                           r, static_cast<unsigned long long>(step), crcs[r], crcs[0]);
    }
  }
  return Status::ok();
}

// The mean over the ranks of a value each rank has (the loss of its share of the batch).
Status ranks_mean(Communicator& comm, std::vector<uint32_t>& bits, double value, double* mean) {
  const float v = static_cast<float>(value);
  uint32_t mine;
  std::memcpy(&mine, &v, 4);
  EDGETRAIN_RETURN_IF_ERROR(comm.all_gather(mine, bits.data()));
  double sum = 0;
  for (uint32_t b : bits) {
    float f;
    std::memcpy(&f, &b, 4);
    sum += f;
  }
  *mean = sum / static_cast<double>(bits.size());
  return Status::ok();
}

// The augmentation key of a step's batch: the same on a resumed run.
uint64_t batch_key(uint32_t seed, uint64_t step) { return (uint64_t{seed} << 40) ^ step; }

// What the error of a stopped run can promise about the state file.
void describe_saved(const TrainOptions& options, bool saved, uint64_t last_saved, char* out, size_t size) {
  if (saved) {
    std::snprintf(out, size, "the state saved at step %llu is intact", static_cast<unsigned long long>(last_saved));
  } else {
    std::snprintf(out, size, "no state was saved%s", options.save_path ? "" : " (--save FILE keeps one)");
  }
}

}  // namespace

JsonLine::JsonLine(FILE* out, const char* event) : out_(out) {
  std::fputs("{\"event\":", out_);
  std::fputc('"', out_);
  std::fputs(event, out_);
  std::fputc('"', out_);
}

JsonLine::~JsonLine() {
  std::fputs("}\n", out_);
  std::fflush(out_);
}

void JsonLine::key(const char* name) {
  std::fputs(",\"", out_);
  std::fputs(name, out_);
  std::fputs("\":", out_);
}

JsonLine& JsonLine::integer(const char* name, uint64_t value) {
  key(name);
  std::fprintf(out_, "%llu", static_cast<unsigned long long>(value));
  return *this;
}

JsonLine& JsonLine::number(const char* name, double value) {
  if (!std::isfinite(value)) return null(name);
  key(name);
  char buf[32];
  const std::to_chars_result r = std::to_chars(buf, buf + sizeof buf, value);
  std::fwrite(buf, 1, static_cast<size_t>(r.ptr - buf), out_);
  return *this;
}

JsonLine& JsonLine::string(const char* name, const char* value) {
  key(name);
  std::fputc('"', out_);
  for (const char* c = value; *c; ++c) {
    const auto u = static_cast<unsigned char>(*c);
    if (u == '"' || u == '\\') {
      std::fputc('\\', out_);
      std::fputc(u, out_);
    } else if (u < 0x20) {
      std::fprintf(out_, "\\u%04x", u);
    } else {
      std::fputc(u, out_);
    }
  }
  std::fputc('"', out_);
  return *this;
}

JsonLine& JsonLine::boolean(const char* name, bool value) {
  key(name);
  std::fputs(value ? "true" : "false", out_);
  return *this;
}

JsonLine& JsonLine::null(const char* name) {
  key(name);
  std::fputs("null", out_);
  return *this;
}

float scheduled_lr(float lr, LrSchedule schedule, uint64_t step, uint32_t steps) {
  if (schedule == LrSchedule::Constant || steps == 0) return lr;
  const double progress = static_cast<double>(step) / steps;  // step = steps already done
  return static_cast<float>(0.5 * lr * (1.0 + std::cos(3.14159265358979323846 * progress)));
}

Status train(Session& session, const ImageSet& data, const TrainOptions& options, FILE* log, uint32_t* damaged) {
  const uint32_t batch = session.batch();
  const uint64_t arena_bytes = session.plan_summary().arena_bytes;
  // The sampler runs one batch ahead of the step (the loader fills it meanwhile); `consumed` is
  // where it stood after the batch the step trains on, which is what a saved state records.
  const DataPosition start = session.data_position();
  Sampler ahead(options.seed, start.epoch, start.cursor, data.count);
  Shard shard;
  std::vector<uint32_t> gathered;
  if (options.comm != nullptr) {
    shard = {options.comm->rank(), options.comm->size(), std::vector<uint32_t>(size_t{batch} * options.comm->size())};
    gathered.resize(options.comm->size());
  }
  std::vector<uint32_t> indices(batch);
  std::vector<int32_t> labels(batch);
  BatchLoader loader;
  EDGETRAIN_RETURN_IF_ERROR(loader.init(data, batch, options.augment));
  struct Count {  // on every return
    const BatchLoader& loader;
    uint32_t* out;
    ~Count() { if (out) *out += loader.damaged(); }
  } count{loader, damaged};
  uint64_t last_saved = session.step();
  bool saved = options.save_path != nullptr && options.resumed;  // the file holds last_saved
  char saved_note[96];

  using Clock = std::chrono::steady_clock;
  auto interval_start = Clock::now();
  double loss_sum = 0;
  uint32_t in_interval = 0;
  const uint32_t last = options.stop_after != 0 ? std::min(options.stop_after, options.steps) : options.steps;
  if (session.step() < last) {
    if (options.comm) EDGETRAIN_RETURN_IF_ERROR(check_weights(session, *options.comm, gathered, session.step()));
    shard.draw(ahead, indices.data(), batch);
    loader.submit(indices.data(), batch_key(options.seed, session.step()));
  }
  while (session.step() < last) {
    EDGETRAIN_RETURN_IF_ERROR(loader.take(session.input(), labels.data()));
    const DataPosition consumed{ahead.epoch, ahead.cursor};
    if (session.step() + 1 < last) {
      shard.draw(ahead, indices.data(), batch);
      loader.submit(indices.data(), batch_key(options.seed, session.step() + 1));
    }
    session.set_data_position(consumed);
    StepSettings settings = options.optimizer;
    settings.lr = scheduled_lr(settings.lr, options.schedule, session.step(), options.steps);
    float loss = 0;
    const Status stepped = session.train_step(session.input(), labels.data(), settings, &loss);
    const uint64_t step = session.step();
    if (stepped.code() == StatusCode::NonFinite) {
      describe_saved(options, saved, last_saved, saved_note, sizeof saved_note);
      return Status::error(StatusCode::NonFinite, "loss is %f at step %llu: lower the learning rate (--lr); %s",
                           static_cast<double>(loss), static_cast<unsigned long long>(step), saved_note);
    }
    EDGETRAIN_RETURN_IF_ERROR(stepped);
    loss_sum += loss;
    ++in_interval;
    if (options.comm && (step % options.check_every == 0 || step == last)) {
      EDGETRAIN_RETURN_IF_ERROR(check_weights(session, *options.comm, gathered, step));
    }
    if (step % options.log_every == 0 || step == last) {
      const double seconds = std::chrono::duration<double>(Clock::now() - interval_start).count();
      double mean_loss = loss_sum / in_interval;
      if (options.comm) EDGETRAIN_RETURN_IF_ERROR(ranks_mean(*options.comm, gathered, mean_loss, &mean_loss));
      const double images_per_second = in_interval * batch * shard.ranks / seconds;
      if (options.log_format == LogFormat::Json) {
        JsonLine(log, "step").integer("step", step).integer("steps", options.steps).number("loss", mean_loss)
            .number("img_per_s", images_per_second).integer("arena_bytes", arena_bytes)
            .integer("peak_rss_bytes", peak_rss_bytes());
      } else {
        std::fprintf(log, "step %5llu/%u  loss %.4f  %8.1f img/s  arena %llu B  peak RSS %.1f MiB\n",
                     static_cast<unsigned long long>(step), options.steps, mean_loss, images_per_second,
                     static_cast<unsigned long long>(arena_bytes), static_cast<double>(peak_rss_bytes()) / (1 << 20));
        std::fflush(log);
      }
      loss_sum = 0;
      in_interval = 0;
      interval_start = Clock::now();
    }
    if (options.save_path && (step % options.save_every == 0 || step == last)) {
      const Status s = session.save(options.save_path);
      if (s.code() == StatusCode::NonFinite) {  // the parameters: the file keeps the last good state
        describe_saved(options, saved, last_saved, saved_note, sizeof saved_note);
        return Status::error(StatusCode::NonFinite, "%s; %s", s.message(), saved_note);
      }
      EDGETRAIN_RETURN_IF_ERROR(s);
      last_saved = step;
      saved = true;
      if (options.log_format == LogFormat::Json) {
        JsonLine(log, "saved").integer("step", step).string("path", options.save_path);
      }
    }
  }
  return Status::ok();
}

void print_op_times(const Session& session, uint32_t steps, FILE* out, LogFormat format) {
  const uint32_t ops = session.plan_summary().train_ops;
  std::vector<OpTime> times(ops);
  for (uint32_t i = 0; i < ops; ++i) times[i] = session.op_time(i);
  std::vector<uint32_t> order(ops);
  std::iota(order.begin(), order.end(), 0u);
  std::sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) { return times[a].seconds > times[b].seconds; });
  double total = 0;
  for (const OpTime& t : times) total += t.seconds;
  if (format == LogFormat::Json) {
    for (uint32_t i : order) {
      JsonLine(out, "profile").integer("op", i).string("kind", times[i].kind).string("writes", times[i].writes)
          .number("ms_per_step", 1e3 * times[i].seconds / steps).number("share", times[i].seconds / total);
    }
    JsonLine(out, "profile_total").integer("ops", ops).integer("steps", steps).number("ms_per_step", 1e3 * total / steps);
    return;
  }
  std::fprintf(out, "%4s  %-26s %-22s %10s %6s\n", "op", "kind", "writes", "ms/step", "share");
  for (uint32_t i : order) {
    std::fprintf(out, "%4u  %-26s %-22s %10.3f %5.1f%%\n", i, times[i].kind, times[i].writes,
                 1e3 * times[i].seconds / steps, 100.0 * times[i].seconds / total);
  }
  std::fprintf(out, "%4s  %-26s %-22s %10.3f\n", "", "total", "", 1e3 * total / steps);
}

void print_peak_rss(const PlanSummary& plan, FILE* out, LogFormat format, uint64_t loader_bytes, bool data_as_planned) {
  const uint64_t measured = peak_rss_bytes();
  const uint64_t region = XnnContext::alloc_stats().region_capacity;
  const uint64_t predicted = plan.predicted_peak_bytes == 0 ? 0 : plan.predicted_peak_bytes + loader_bytes;
  if (format == LogFormat::Json) {
    JsonLine line(out, "memory");
    line.integer("peak_rss_bytes", measured);
    if (!data_as_planned || predicted == 0) {
      line.null("predicted_peak_bytes").null("relative_error");
    } else {
      line.integer("predicted_peak_bytes", predicted)
          .number("relative_error", (static_cast<double>(measured) - static_cast<double>(predicted)) /
                               static_cast<double>(predicted));
    }
    line.integer("xnnpack_region_bytes", region);
    return;
  }
  if (!data_as_planned) {
    std::fprintf(out, "peak RSS %llu B measured (the plan predicts it for Fashion-MNIST or synthetic data, not "
                 "this data set), loader buffers %llu B, XNNPACK region %llu B\n",
                 static_cast<unsigned long long>(measured), static_cast<unsigned long long>(loader_bytes),
                 static_cast<unsigned long long>(region));
    return;
  }
  if (predicted == 0) {
    std::fprintf(out, "peak RSS %llu B measured (no prediction in this plan), XNNPACK region %llu B\n",
                 static_cast<unsigned long long>(measured), static_cast<unsigned long long>(region));
    return;
  }
  const double error = 100.0 * (static_cast<double>(measured) - static_cast<double>(predicted)) /
                       static_cast<double>(predicted);
  std::fprintf(out, "peak RSS %llu B measured, %llu B predicted (%+.2f%%), XNNPACK region %llu B\n",
               static_cast<unsigned long long>(measured), static_cast<unsigned long long>(predicted),
               error, static_cast<unsigned long long>(region));
}

void print_comm_stats(const CommStats& stats, uint64_t steps, FILE* out, LogFormat format) {
  const double n = static_cast<double>(steps);
  const double hidden = stats.reduce_seconds > 0 ? std::max(0.0, 1.0 - stats.blocked_seconds / stats.reduce_seconds) : 1.0;
  if (format == LogFormat::Json) {
    JsonLine(out, "communication").number("buckets_per_step", static_cast<double>(stats.buckets) / n)
        .number("bytes_per_step", static_cast<double>(stats.bytes) / n)
        .number("allreduce_ms_per_step", 1e3 * stats.reduce_seconds / n)
        .number("blocked_ms_per_step", 1e3 * stats.blocked_seconds / n).number("hidden", hidden)
        .number("sync_bn_reductions_per_step", static_cast<double>(stats.sync_reductions) / n)
        .number("sync_bn_bytes_per_step", static_cast<double>(stats.sync_bytes) / n)
        .number("sync_bn_ms_per_step", 1e3 * stats.sync_seconds / n);
    return;
  }
  std::fprintf(out, "communication: %.0f buckets, %.0f bytes of gradients averaged per step; allreduce %.2f ms/step, "
               "waited for %.2f ms/step: %.0f%% hidden behind backward\n",
               static_cast<double>(stats.buckets) / n, static_cast<double>(stats.bytes) / n,
               1e3 * stats.reduce_seconds / n, 1e3 * stats.blocked_seconds / n, 100.0 * hidden);
  if (stats.sync_reductions > 0) {
    std::fprintf(out, "SyncBatchNorm: %.0f reductions, %.0f bytes of statistics averaged per step, in the step: "
                 "%.2f ms/step\n", static_cast<double>(stats.sync_reductions) / n,
                 static_cast<double>(stats.sync_bytes) / n, 1e3 * stats.sync_seconds / n);
  }
}

Status evaluate(Session& session, const ImageSet& data, uint32_t limit, uint32_t* correct, uint32_t* total,
                uint32_t* damaged) {
  const uint32_t batch = session.batch();
  const uint32_t n = limit == 0 || limit > data.count ? data.count : limit;
  const uint32_t classes = session.classes();
  std::vector<float> logits(size_t{batch} * classes);
  std::vector<uint32_t> indices(batch);
  BatchLoader loader;
  EDGETRAIN_RETURN_IF_ERROR(loader.init(data, batch, false));
  struct Count {
    const BatchLoader& loader;
    uint32_t* out;
    ~Count() { if (out) *out += loader.damaged(); }
  } count{loader, damaged};
  // The last batch is padded with image 0; padded slots are not scored.
  auto submit = [&](uint32_t start) {
    for (uint32_t b = 0; b < batch; ++b) indices[b] = start + b < n ? start + b : 0;
    loader.submit(indices.data(), 0);
  };
  submit(0);
  *correct = 0;
  std::vector<int32_t> labels(batch);
  for (uint32_t start = 0; start < n; start += batch) {
    EDGETRAIN_RETURN_IF_ERROR(loader.take(session.input(), labels.data()));
    if (start + batch < n) submit(start + batch);
    EDGETRAIN_RETURN_IF_ERROR(session.predict(session.input(), logits.data()));
    for (uint32_t b = 0; b < batch && start + b < n; ++b) {
      const float* row = logits.data() + size_t{b} * classes;
      uint32_t best = 0;
      for (uint32_t k = 1; k < classes; ++k) best = row[k] > row[best] ? k : best;
      *correct += best == static_cast<uint32_t>(labels[b]) ? 1 : 0;  // a damaged file's slot: the next one's
    }
  }
  *total = n;
  return Status::ok();
}

}  // namespace edgetrain
