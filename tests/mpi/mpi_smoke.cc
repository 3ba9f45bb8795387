// mpi_smoke <ranks> [--floats N] [--in-place] [--kill-rank R | --hang-rank R]
// The Open MPI set-up the data-parallel trainer relies on, in one run: MPI_Init_thread with
// MPI_THREAD_SERIALIZED on the main thread, then only a second thread (the trainer's
// communication thread) calls MPI while main waits for it: the world size must be <ranks>, and an
// MPI_Allreduce (sum) of N floats (default 1000; rank r contributes (r + 1) * (i % 1024 + 1) at
// element i, so every partial sum is an exact float) must give exactly (i % 1024 + 1) * n(n+1)/2.
// The main thread finalizes. Each rank prints to stderr what Open MPI costs in memory: VmRSS
// before and after MPI_Init, and VmRSS and VmHWM right after the allreduce, its buffers alive
// (/proc/self/status); under qemu-user also the guest's own resident bytes at those three points
// (what a Pi would count; VmRSS there includes the emulator). --in-place: MPI_IN_PLACE, one buffer.
//   --kill-rank R  rank R SIGKILLs itself before the allreduce: the others block in it until
//                  mpirun ends the job (tests/mpi: a dead rank must not hang the job).
//   --hang-rank R  rank R sleeps instead: only mpirun's --timeout ends the job.
// Exit status 0 when every check passes.
#include <mpi.h>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <unistd.h>

namespace {

struct Memory {
  long rss_kb = -1;
  long hwm_kb = -1;
  long guest_kb = -1;  // -1: not under qemu-user
};

long status_field(const std::string& status, const char* key) {
  const auto at = status.find(key);
  return at == std::string::npos ? -1 : std::strtol(status.c_str() + at + std::strlen(key), nullptr, 10);
}

// Under qemu-user /proc/self/smaps is the emulator's: the guest's mappings are the ones below the
// first mapping of the qemu-aarch64 binary (as in firmware-tools/lib/rss-guest-peak.sh).
long guest_rss_kb() {
  std::ifstream smaps("/proc/self/smaps");
  std::vector<std::pair<unsigned long, long>> mappings;  // start, Rss kB
  unsigned long qemu_start = 0;
  bool under_qemu = false;
  std::string line;
  while (std::getline(smaps, line)) {
    if (line.compare(0, 4, "Rss:") == 0) {
      if (!mappings.empty()) mappings.back().second = std::strtol(line.c_str() + 4, nullptr, 10);
      continue;
    }
    char* end = nullptr;
    const unsigned long start = std::strtoul(line.c_str(), &end, 16);
    if (end == line.c_str() || *end != '-') continue;  // another field line
    mappings.emplace_back(start, 0);
    if (!under_qemu && line.find("qemu-aarch64") != std::string::npos) {
      under_qemu = true;
      qemu_start = start;
    }
  }
  if (!under_qemu) return -1;
  long total = 0;
  for (const auto& [start, kb] : mappings)
    if (start < qemu_start) total += kb;
  return total;
}

Memory memory_now() {
  std::ifstream file("/proc/self/status");
  std::stringstream status;
  status << file.rdbuf();
  return {status_field(status.str(), "VmRSS:"), status_field(status.str(), "VmHWM:"), guest_rss_kb()};
}

struct Args {
  int ranks = 0;
  long floats = 1000;
  bool in_place = false;
  int kill_rank = -1;
  int hang_rank = -1;
};

bool parse(int argc, char** argv, Args& args) {
  if (argc < 2 || (args.ranks = std::atoi(argv[1])) < 1) return false;
  for (int i = 2; i < argc; ++i) {
    const std::string flag = argv[i];
    if (flag == "--in-place") {
      args.in_place = true;
      continue;
    }
    if (i + 1 == argc) return false;
    const long value = std::strtol(argv[++i], nullptr, 10);
    if (flag == "--floats" && value > 0 && value <= (1L << 30)) args.floats = value;
    else if (flag == "--kill-rank" && value >= 0) args.kill_rank = static_cast<int>(value);
    else if (flag == "--hang-rank" && value >= 0) args.hang_rank = static_cast<int>(value);
    else return false;
  }
  return true;
}

float contribution(int rank, long i) { return static_cast<float>((rank + 1) * (i % 1024 + 1)); }

// The communication thread's whole job: everything MPI between init and finalize. Returns the
// number of failed checks; `during` is the memory right after the allreduce, its buffers alive.
int communicate(const Args& args, int rank, Memory& during) {
  int size = 0;
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  if (size != args.ranks) {
    std::fprintf(stderr, "mpi_smoke: rank %d: world size %d, expected %d\n", rank, size, args.ranks);
    return 1;
  }
  const auto n = static_cast<size_t>(args.floats);
  std::vector<float> send(args.in_place ? 0 : n), sum(n);
  std::vector<float>& mine = args.in_place ? sum : send;
  for (size_t i = 0; i < n; ++i) mine[i] = contribution(rank, static_cast<long>(i));
  if (rank == args.kill_rank) std::raise(SIGKILL);
  if (rank == args.hang_rank) std::this_thread::sleep_for(std::chrono::hours(1));
  if (MPI_Allreduce(args.in_place ? MPI_IN_PLACE : send.data(), sum.data(), static_cast<int>(n),
                    MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD) != MPI_SUCCESS) {
    std::fprintf(stderr, "mpi_smoke: rank %d: MPI_Allreduce failed\n", rank);
    return 1;
  }
  during = memory_now();
  const long ranks_sum = static_cast<long>(size) * (size + 1) / 2;
  int wrong = 0;
  for (size_t i = 0; i < n; ++i) {
    const float want = static_cast<float>((static_cast<long>(i) % 1024 + 1) * ranks_sum);
    if (sum[i] != want && wrong++ < 3)
      std::fprintf(stderr, "mpi_smoke: rank %d: element %zu is %.9g, expected %.9g\n", rank, i,
                   static_cast<double>(sum[i]), static_cast<double>(want));
  }
  return wrong;
}

void report(int rank, const Args& args, const Memory& before, const Memory& inited, const Memory& during) {
  std::string guest;
  if (before.guest_kb >= 0)
    guest = "; guest RSS " + std::to_string(before.guest_kb) + " -> " + std::to_string(inited.guest_kb) +
            " -> " + std::to_string(during.guest_kb) + " kB";
  const long buffers_kb = (args.in_place ? 1 : 2) * args.floats * static_cast<long>(sizeof(float)) / 1024;
  std::fprintf(stderr,
               "mpi_smoke: rank %d: MPI_Init: VmRSS %ld -> %ld kB (+%ld kB); allreduce of %ld floats "
               "(%s, buffers %ld kB): VmRSS %ld kB, VmHWM %ld kB (+%ld kB over init)%s\n",
               rank, before.rss_kb, inited.rss_kb, inited.rss_kb - before.rss_kb, args.floats,
               args.in_place ? "MPI_IN_PLACE" : "send + receive", buffers_kb, during.rss_kb, during.hwm_kb,
               during.hwm_kb - inited.rss_kb, guest.c_str());
}

}  // namespace

int main(int argc, char** argv) {
  Args args;
  if (!parse(argc, argv, args)) {
    std::fprintf(stderr, "usage: mpi_smoke <ranks> [--floats N] [--in-place] [--kill-rank R | --hang-rank R]\n");
    return 2;
  }
  const Memory before = memory_now();
  int provided = MPI_THREAD_SINGLE;
  if (MPI_Init_thread(&argc, &argv, MPI_THREAD_SERIALIZED, &provided) != MPI_SUCCESS) {
    std::fprintf(stderr, "mpi_smoke: MPI_Init_thread failed\n");
    return 1;
  }
  const Memory inited = memory_now();
  int rank = -1;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  int failures = 0;
  if (provided < MPI_THREAD_SERIALIZED) {
    std::fprintf(stderr, "mpi_smoke: rank %d: MPI_THREAD_SERIALIZED asked, %d provided\n", rank, provided);
    ++failures;
  } else {
    Memory during;
    std::thread comm([&] { failures += communicate(args, rank, during); });
    comm.join();
    if (failures == 0) report(rank, args, before, inited, during);
  }
  if (rank == 0 && failures == 0) {
    char version[MPI_MAX_LIBRARY_VERSION_STRING];
    int length = 0;
    MPI_Get_library_version(version, &length);
    std::printf("mpi_smoke: %d ranks, MPI_THREAD_SERIALIZED, allreduce of %ld floats from a second "
                "thread exact; %.*s\n", args.ranks, args.floats,
                static_cast<int>(std::strcspn(version, ",\n")), version);
  }
  MPI_Finalize();
  return failures == 0 ? 0 : 1;
}
