// The Communicator of an MPI job (edgetrain/communicator.h). After MPI_Init_thread
// (MPI_THREAD_SERIALIZED) only the communication thread calls MPI: the session's GradAllReduce
// ops queue their buckets, SyncBatchNorm its statistics and the trainer its gathers, all through
// the same queue, so every wait has a timeout even though MPI's collectives have none. Requests
// run in the order queued (the same on every rank); a wait is for one request, by its number.
// The queue is a fixed ring allocated here, once: a step allocates nothing.
#include <mpi.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <thread>
#include <vector>

#include "edgetrain/communicator.h"
#include "op_kinds.h"

namespace edgetrain {

namespace {

struct Request {
  enum Kind : uint8_t { Mean, SyncMean, Gather, Stop } kind = Mean;
  uint32_t count = 0;
  float* data[kMaxOpInputs] = {};
  uint64_t elements[kMaxOpInputs] = {};
  uint32_t value = 0;
  uint32_t* values = nullptr;
};

constexpr uint32_t kRing = 16;
constexpr uint64_t kChunkFloats = uint64_t{1} << 18;  // requests in flight: the plan has at most two buckets out

class MpiCommunicator final : public Communicator {
 public:
  MpiCommunicator(MPI_Comm comm, double timeout) : comm_(comm), timeout_(timeout) {
    MPI_Comm_rank(comm_, &rank_);
    MPI_Comm_size(comm_, &size_);
    thread_ = std::thread([this] { loop(); });
  }

  ~MpiCommunicator() override {
    if (failed_) MPI_Abort(MPI_COMM_WORLD, 1);  // the thread may be stuck in a collective
    Request stop;
    stop.kind = Request::Stop;
    (void)push(stop);
    thread_.join();
    MPI_Comm_free(&comm_);
    MPI_Finalize();
  }

  uint32_t rank() const override { return static_cast<uint32_t>(rank_); }
  uint32_t size() const override { return static_cast<uint32_t>(size_); }

  Status start_mean(uint32_t bucket, float* const* data, const uint64_t* elements, uint32_t count) override {
    Request r;
    EDGETRAIN_RETURN_IF_ERROR(make_mean(Request::Mean, data, elements, count, &r));
    uint64_t number = 0;
    EDGETRAIN_RETURN_IF_ERROR(push(r, &number));
    bucket_request_[bucket % kRing] = number;  // at most kRing requests are queued at once
    return Status::ok();
  }

  Status wait(uint32_t bucket) override {
    char what[48];
    std::snprintf(what, sizeof what, "gradient bucket %u", bucket);
    return timed_wait(bucket_request_[bucket % kRing], what, &CommStats::blocked_seconds);
  }

  Status mean_now(float* const* data, const uint64_t* elements, uint32_t count) override {
    Request r;
    EDGETRAIN_RETURN_IF_ERROR(make_mean(Request::SyncMean, data, elements, count, &r));
    uint64_t number = 0;
    EDGETRAIN_RETURN_IF_ERROR(push(r, &number));
    return timed_wait(number, "a SyncBatchNorm's statistics", &CommStats::sync_seconds);
  }

  CommStats stats() const override {
    std::lock_guard<std::mutex> lock(mutex_);
    return stats_;
  }

  Status all_gather(uint32_t value, uint32_t* values) override {
    Request r;
    r.kind = Request::Gather;
    r.value = value;
    r.values = values;
    uint64_t number = 0;
    EDGETRAIN_RETURN_IF_ERROR(push(r, &number));
    return wait_for(number, "the ranks' weight checksums");
  }

 private:
  static Status make_mean(Request::Kind kind, float* const* data, const uint64_t* elements, uint32_t count, Request* r) {
    if (count > static_cast<uint32_t>(kMaxOpInputs)) {
      return Status::error(StatusCode::InvalidPlan, "%u buffers in one reduction (at most %d)", count, kMaxOpInputs);
    }
    r->kind = kind;
    r->count = count;
    for (uint32_t i = 0; i < count; ++i) {
      r->data[i] = data[i];
      r->elements[i] = elements[i];
    }
    return Status::ok();
  }

  // wait_for, adding the time the training thread was blocked to stats_.*field.
  Status timed_wait(uint64_t number, const char* what, double CommStats::*field) {
    const auto begin = std::chrono::steady_clock::now();
    const Status s = wait_for(number, what);
    const double blocked = std::chrono::duration<double>(std::chrono::steady_clock::now() - begin).count();
    std::lock_guard<std::mutex> lock(mutex_);
    stats_.*field += blocked;
    return s;
  }

  // Requests complete in the order pushed: number n is done once done_ > n.
  Status wait_for(uint64_t number, const char* what) {
    std::unique_lock<std::mutex> lock(mutex_);
    if (!cv_.wait_for(lock, std::chrono::duration<double>(timeout_), [&] { return done_ > number || !error_.is_ok(); })) {
      failed_ = true;
      return Status::error(StatusCode::IoError,
                           "rank %d: %s did not complete over the %d ranks within %.0f s: another rank stopped or "
                           "the network is down", rank_, what, size_, timeout_);
    }
    if (!error_.is_ok()) failed_ = true;
    return error_;
  }

  Status push(const Request& r, uint64_t* number = nullptr) {
    std::unique_lock<std::mutex> lock(mutex_);
    if (!cv_.wait_for(lock, std::chrono::duration<double>(timeout_), [&] { return pushed_ - taken_ < kRing; })) {
      failed_ = true;
      return Status::error(StatusCode::IoError, "rank %d: the communication queue stayed full for %.0f s", rank_, timeout_);
    }
    if (number != nullptr) *number = pushed_;
    ring_[pushed_++ % kRing] = r;
    cv_.notify_all();
    return Status::ok();
  }

  // The communication thread: one request at a time, in order.
  void loop() {
    for (;;) {
      Request r;
      {
        std::unique_lock<std::mutex> lock(mutex_);
        cv_.wait(lock, [&] { return pushed_ > taken_; });
        r = ring_[taken_++ % kRing];
        cv_.notify_all();
      }
      if (r.kind == Request::Stop) return;
      const auto begin = std::chrono::steady_clock::now();
      const Status s = r.kind == Request::Gather ? gather(r) : mean(r);
      const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - begin).count();
      std::lock_guard<std::mutex> lock(mutex_);
      uint64_t bytes = 0;
      for (uint32_t i = 0; i < r.count; ++i) bytes += 4 * r.elements[i];
      if (r.kind == Request::Mean) {
        ++stats_.buckets;
        stats_.bytes += bytes;
        stats_.reduce_seconds += seconds;
      } else if (r.kind == Request::SyncMean) {
        ++stats_.sync_reductions;
        stats_.sync_bytes += bytes;
      }
      if (!s.is_ok() && error_.is_ok()) error_ = s;
      ++done_;
      cv_.notify_all();
    }
  }

  Status mean(const Request& r) {
    const float ranks = static_cast<float>(size_);
    for (uint32_t i = 0; i < r.count; ++i) {
      // In chunks of 1 MiB: Open MPI's allreduce allocates a temporary of about half its
      // message, so a large gradient's reduction costs at most 512 KiB of heap, not half of it.
      for (uint64_t at = 0; at < r.elements[i];) {
        const uint64_t n = std::min<uint64_t>(r.elements[i] - at, kChunkFloats);
        float* p = r.data[i] + at;
        const int rc = MPI_Allreduce(MPI_IN_PLACE, p, static_cast<int>(n), MPI_FLOAT, MPI_SUM, comm_);
        if (rc != MPI_SUCCESS) return failure(r.kind == Request::Mean ? "MPI_Allreduce of a gradient bucket" : "MPI_Allreduce of BatchNorm statistics", rc);
        for (uint64_t k = 0; k < n; ++k) p[k] /= ranks;
        at += n;
      }
    }
    return Status::ok();
  }

  Status gather(const Request& r) {
    uint32_t value = r.value;
    const int rc = MPI_Allgather(&value, 1, MPI_UINT32_T, r.values, 1, MPI_UINT32_T, comm_);
    return rc == MPI_SUCCESS ? Status::ok() : failure("MPI_Allgather", rc);
  }

  Status failure(const char* what, int rc) const {
    char text[MPI_MAX_ERROR_STRING];
    int length = 0;
    MPI_Error_string(rc, text, &length);
    return Status::error(StatusCode::IoError, "rank %d: %s failed: %.*s", rank_, what, length, text);
  }

  MPI_Comm comm_;
  int rank_ = 0, size_ = 1;
  double timeout_;
  std::thread thread_;
  mutable std::mutex mutex_;
  CommStats stats_;
  std::condition_variable cv_;
  Request ring_[kRing];
  uint64_t pushed_ = 0, taken_ = 0, done_ = 0;
  uint64_t bucket_request_[kRing] = {};  // the request number of bucket b, at b % kRing
  Status error_;
  bool failed_ = false;
};

}  // namespace

Status open_mpi_communicator(int* argc, char*** argv, double timeout_seconds, std::unique_ptr<Communicator>* out) {
  int initialized = 0, provided = 0;
  MPI_Initialized(&initialized);
  if (!initialized && MPI_Init_thread(argc, argv, MPI_THREAD_SERIALIZED, &provided) != MPI_SUCCESS) {
    return Status::error(StatusCode::IoError, "MPI_Init_thread failed: start the ranks with mpirun -np R");
  }
  if (!initialized && provided < MPI_THREAD_SERIALIZED) {
    return Status::error(StatusCode::IoError, "this MPI gives thread level %d, below MPI_THREAD_SERIALIZED", provided);
  }
  MPI_Comm comm;
  MPI_Comm_dup(MPI_COMM_WORLD, &comm);
  MPI_Comm_set_errhandler(comm, MPI_ERRORS_RETURN);
  out->reset(new MpiCommunicator(comm, timeout_seconds));
  return Status::ok();
}

}  // namespace edgetrain
