// Data-parallel training: what a Session needs from the other ranks. A plan made with
// `plan --data-parallel` has a GradAllReduceStart and a GradAllReduceWait per bucket of parameter
// gradients (the planner's buckets, placed in the backward); a session given a Communicator
// (SessionOptions::communicator) hands each bucket over at its Start and waits at its Wait, so
// every rank applies the same update to the same weights. Without one, a data-parallel plan
// trains as one process (the mean over one rank is the gradient itself).
//
// open_mpi_communicator (edgetrain::mpi, a library of its own: only programs that link it need
// Open MPI) implements it over MPI, with a communication thread.
#pragma once

#include <cstdint>
#include <memory>

#include "edgetrain/status.h"

namespace edgetrain {

// What the communication cost so far, on this rank.
struct CommStats {
  uint64_t buckets = 0;         // gradient buckets averaged
  uint64_t bytes = 0;           // their bytes (each rank's; the network carries about 2 (R-1)/R of it)
  double reduce_seconds = 0;    // the communication thread's time in the allreduces
  double blocked_seconds = 0;   // the training thread's time waiting for them: what was not hidden
  // SyncBatchNorm (SessionOptions::sync_batchnorm): the statistics averaged in the step itself.
  uint64_t sync_reductions = 0;
  uint64_t sync_bytes = 0;
  double sync_seconds = 0;      // the training thread's time in them (none of it hidden)
};

class Communicator {
 public:
  virtual ~Communicator() = default;
  virtual uint32_t rank() const = 0;
  virtual uint32_t size() const = 0;
  // Replaces each of the `count` buffers (data[i], elements[i] floats) with its mean over the
  // ranks, on the communication thread; returns at once. Every rank starts the same buckets in
  // the same order. The buffers must not be touched until wait(bucket) returns.
  virtual Status start_mean(uint32_t bucket, float* const* data, const uint64_t* elements, uint32_t count) = 0;
  // Returns when bucket `bucket`'s mean is in its buffers, or an error (a rank stopped, the
  // network failed, a timeout): then the run cannot go on.
  virtual Status wait(uint32_t bucket) = 0;
  // Replaces the buffers with their means over the ranks and returns when that is done (a
  // SyncBatchNorm's statistics, in the step): queued behind the buckets already started, so
  // every rank reduces the same buffers in the same order.
  virtual Status mean_now(float* const* data, const uint64_t* elements, uint32_t count) = 0;
  // Every rank's `value`, in rank order, into values[0 .. size() - 1] (between steps: a CRC of
  // the weights, say). Blocks until all ranks have called it.
  virtual Status all_gather(uint32_t value, uint32_t* values) = 0;
  virtual CommStats stats() const = 0;
};

// The communicator of an MPI job (mpirun -np R ...): initialises MPI (MPI_THREAD_SERIALIZED;
// only the communication thread calls MPI while steps run) and starts the communication
// thread. `timeout_seconds`: how long wait() and all_gather() wait for the other ranks before
// they fail (a rank that died, say). Finalises MPI when destroyed.
Status open_mpi_communicator(int* argc, char*** argv, double timeout_seconds, std::unique_ptr<Communicator>* out);

}  // namespace edgetrain
