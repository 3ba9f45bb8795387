// edgetrain-train: trains the model of the plan baked into this binary on Fashion-MNIST, or on
// the data in --data DIR (IDX files, CIFAR-10 batches or an image folder: data_source.h).
//
//   edgetrain-train [--data DIR] [--steps N] [--batch N] [--lr X] [--momentum X]
//                   [--beta1 X --beta2 X --eps X] [--weight-decay X] [--threads N] [--log-every N]
//                   [--eval-images N] [--seed N] [--log-format text|json] ... (kUsage below)
//
// Built with EDGETRAIN_TRAIN_MPI (edgetrain-train-mpi, linked with Open MPI), the same trainer
// is one rank of a data-parallel job: mpirun -np R edgetrain-train-mpi ... (trainer.h).
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <algorithm>
#include <cstring>
#include <string>

#include "batch_loader.h"
#include "data_source.h"
#include "memory_info.h"
#include "edgetrain/communicator.h"
#include "trainer.h"

namespace {

using namespace edgetrain;

constexpr const char* kUsage =
    "usage: edgetrain-train [--data DIR] [--steps N] [--batch N] [--lr X] [--momentum X]\n"
    "                       [--beta1 X] [--beta2 X] [--eps X]\n"
    "                       [--weight-decay X] [--threads N] [--log-every N] [--eval-images N]\n"
    "                       [--seed N] [--profile] [--save FILE [--save-every N] [--resume]]\n"
    "                       [--synthetic N] [--lr-schedule constant|cosine] [--init-state FILE]\n"
    "                       [--log-format text|json] [--stop-after N] [--augment]\n"
    "                       [--check-every N] [--comm-timeout S] [--sync-bn]   (edgetrain-train-mpi)\n"
    "Trains the baked plan's model on the data in DIR (default /usr/share/datasets/fashion-mnist)\n"
    "and prints the test accuracy. DIR holds IDX files (train-images-idx3-ubyte.gz, t10k-...),\n"
    "CIFAR-10's binary batches, or an image folder: DIR/<class>/*.jpg|jpeg|png, one sub-folder\n"
    "per class (DIR/train and DIR/val when both exist, else a tenth of each class validates),\n"
    "resized on the shorter side and center-cropped to the plan's input; --augment trains on\n"
    "random crops and mirrors instead (reproducible, also across --resume). --profile adds a table\n"
    "of each op's time per step. --save writes the training state atomically every N steps\n"
    "(default 100) and at the end; --resume continues from it, bit for bit. Without --batch,\n"
    "the largest baked plan that fits in the memory the system has available is used.\n"
    "--synthetic N trains on N random images of the plan's input size instead of DIR,\n"
    "generated batch by batch (image i is the same in every run; none are held in memory).\n"
    "--init-state FILE starts from a state file's weights and BatchNorm statistics (e.g. plan\n"
    "--onnx ... --weights-out FILE) at step 0 with zero momentum; --resume continues a run instead.\n"
    "--stop-after N ends the run at step N of --steps (saving it; needs --save): a later --resume\n"
    "continues the same run, learning-rate schedule included, on this machine or another.\n"
    "--save FILE is checked before any work: its directory must exist and be writable.\n"
    "The plan fixes the optimizer (plan --optimizer sgd|adam|adamw): --momentum (default 0.9) is\n"
    "SGD's; --beta1 (0.9), --beta2 (0.999) and --eps (1e-8) are Adam's and AdamW's; --lr and\n"
    "--weight-decay (L2; AdamW's decoupled, as PyTorch's) are every optimizer's.\n"
    "--threads N: at most 4 per CPU of this machine (default: one per core).\n"
    "--log-format json writes every progress line as one JSON object per line on stdout\n"
    "(events plan, initial_state, resumed, step, saved, stopped, profile, profile_total, eval,\n"
    "memory); "
    "text (the default) writes them for people. Errors stay one line of text on stderr.\n"
    "edgetrain-train-mpi, under mpirun -np R, is one rank of a data-parallel run of a plan made\n"
    "with plan --data-parallel: a step trains on R x batch images (rank r takes images r, r + R, ...\n"
    "of the global batch, so the order is the single process's at batch R x batch), gradients are\n"
    "averaged over the ranks, and every rank applies the same update. Rank 0 prints and saves;\n"
    "every rank reads --resume's and --init-state's file. --check-every N (default 50): compare\n"
    "the ranks' weight CRCs every N steps; --comm-timeout S (default 120): how long a rank waits\n"
    "for the others before it stops the job. BatchNorm normalises each rank's own images (as\n"
    "PyTorch's DistributedDataParallel); --sync-bn averages its statistics over the ranks instead\n"
    "(as torch.nn.SyncBatchNorm), so that R ranks train as one process at R x batch.\n";

struct Options {
  std::string data = "/usr/share/datasets/fashion-mnist";
  uint32_t batch = 0, threads = 0, eval_images = 0, synthetic = 0;
  bool profile = false, resume = false, augment = false, sync_bn = false;
  LogFormat log_format = LogFormat::Text;
  std::string save, init_state;
  double comm_timeout = 120;
  TrainOptions train;
  // The first flag given of those only SGD plans take (--momentum), and of Adam's (--beta1, ...).
  const char* sgd_flag = nullptr;
  const char* adam_flag = nullptr;
};

Status parse_number(const char* flag, const char* text, double lo, double hi, double* out) {
  char* end = nullptr;
  errno = 0;
  const double v = std::strtod(text, &end);
  if (*text == '\0' || *end != '\0' || errno != 0 || !(v >= lo && v <= hi)) {
    return Status::error(StatusCode::InvalidArgument, "%s wants a number in [%g, %g], got '%s'", flag, lo, hi, text);
  }
  *out = v;
  return Status::ok();
}

// Adam's betas are in [0, 1) and its eps in (0, 1]: PyTorch's ranges without the end that
// divides by zero (a bias correction 1 - beta^t, or sqrt(v) + eps with v = 0).
Status parse_adam_number(const char* flag, const char* text, bool zero_allowed, double* out) {
  const char* range = zero_allowed ? "[0, 1)" : "(0, 1]";
  const Status s = parse_number(flag, text, 0, 1, out);
  if (!s.is_ok() || *out == (zero_allowed ? 1.0 : 0.0)) {
    return Status::error(StatusCode::InvalidArgument, "%s wants a number in %s, got '%s'", flag, range, text);
  }
  return Status::ok();
}

// Hyperparameter flags of another optimizer than the plan's are refused: they would do nothing.
Status check_optimizer_flags(const Options& o, const PlanInput& plan) {
  const std::string optimizer = plan.optimizer;
  const bool adam = optimizer == "adam" || optimizer == "adamw";
  const char* wrong = optimizer == "sgd" ? o.adam_flag : adam ? o.sgd_flag : nullptr;
  if (wrong == nullptr) return Status::ok();
  return Status::error(StatusCode::InvalidArgument,
                       "%s does not apply: this binary's plan (%s batch %u) updates with %s, which takes %s "
                       "(plan --optimizer picks the optimizer)",
                       wrong, plan.model, plan.batch, optimizer.c_str(),
                       adam ? "--beta1, --beta2 and --eps, not --momentum" : "--momentum, not --beta1, --beta2 or --eps");
}

// More threads than this only queue on the cores (and 5000 take minutes to start and join).
Status check_threads(uint32_t threads) {
  const long online = ::sysconf(_SC_NPROCESSORS_ONLN);
  const uint32_t cpus = online > 0 ? static_cast<uint32_t>(online) : 1;
  if (threads > 4 * cpus) {
    return Status::error(StatusCode::InvalidArgument,
                         "--threads %u is more than 4 per CPU (this machine has %u): pass at most %u, "
                         "or leave it out for one per core", threads, cpus, 4 * cpus);
  }
  return Status::ok();
}

Status parse_args(int argc, char** argv, Options* o) {
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    if (flag == "--profile" || flag == "--resume" || flag == "--augment" || flag == "--sync-bn") {
      (flag == "--profile" ? o->profile : flag == "--resume" ? o->resume : flag == "--augment" ? o->augment : o->sync_bn) = true;
      continue;
    }
    if (flag == "--help" || flag == "-h") {
      std::fputs(kUsage, stdout);
      std::exit(0);
    }
    if (i + 1 >= argc) {
      return Status::error(StatusCode::InvalidArgument, "'%s' needs a value or is unknown (see --help)", flag.c_str());
    }
    const char* value = argv[++i];
    double v = 0;
    auto integer = [&](uint32_t lo, uint32_t* dst) -> Status {
      EDGETRAIN_RETURN_IF_ERROR(parse_number(flag.c_str(), value, lo, 1e9, &v));
      if (v != static_cast<uint32_t>(v)) {
        return Status::error(StatusCode::InvalidArgument, "%s wants an integer, got '%s'", flag.c_str(), value);
      }
      *dst = static_cast<uint32_t>(v);
      return Status::ok();
    };
    auto real = [&](double lo, double hi, float* dst) -> Status {
      EDGETRAIN_RETURN_IF_ERROR(parse_number(flag.c_str(), value, lo, hi, &v));
      *dst = static_cast<float>(v);
      return Status::ok();
    };
    if (flag == "--data") o->data = value;
    else if (flag == "--save") o->save = value;
    else if (flag == "--init-state") o->init_state = value;
    else if (flag == "--lr-schedule") {
      const std::string name = value;
      if (name != "constant" && name != "cosine") {
        return Status::error(StatusCode::InvalidArgument, "--lr-schedule is constant or cosine, got '%s'", value);
      }
      o->train.schedule = name == "cosine" ? LrSchedule::Cosine : LrSchedule::Constant;
    }
    else if (flag == "--log-format") {
      const std::string name = value;
      if (name != "text" && name != "json") {
        return Status::error(StatusCode::InvalidArgument, "--log-format is text or json, got '%s'", value);
      }
      o->log_format = name == "json" ? LogFormat::Json : LogFormat::Text;
    }
    else if (flag == "--synthetic") EDGETRAIN_RETURN_IF_ERROR(integer(1, &o->synthetic));
    else if (flag == "--save-every") EDGETRAIN_RETURN_IF_ERROR(integer(1, &o->train.save_every));
    else if (flag == "--steps") EDGETRAIN_RETURN_IF_ERROR(integer(1, &o->train.steps));
    else if (flag == "--stop-after") EDGETRAIN_RETURN_IF_ERROR(integer(1, &o->train.stop_after));
    else if (flag == "--batch") EDGETRAIN_RETURN_IF_ERROR(integer(1, &o->batch));
    else if (flag == "--threads") EDGETRAIN_RETURN_IF_ERROR(integer(1, &o->threads));
    else if (flag == "--log-every") EDGETRAIN_RETURN_IF_ERROR(integer(1, &o->train.log_every));
    else if (flag == "--eval-images") EDGETRAIN_RETURN_IF_ERROR(integer(0, &o->eval_images));
    else if (flag == "--lr") EDGETRAIN_RETURN_IF_ERROR(real(0, 10, &o->train.optimizer.lr));
    else if (flag == "--momentum") {
      EDGETRAIN_RETURN_IF_ERROR(real(0, 1, &o->train.optimizer.momentum));
      if (o->sgd_flag == nullptr) o->sgd_flag = "--momentum";
    } else if (flag == "--beta1" || flag == "--beta2" || flag == "--eps") {
      EDGETRAIN_RETURN_IF_ERROR(parse_adam_number(flag.c_str(), value, flag != "--eps", &v));
      StepSettings& c = o->train.optimizer;
      (flag == "--beta1" ? c.beta1 : flag == "--beta2" ? c.beta2 : c.eps) = static_cast<float>(v);
      if (o->adam_flag == nullptr) o->adam_flag = argv[i - 1];
    }
    else if (flag == "--weight-decay") EDGETRAIN_RETURN_IF_ERROR(real(0, 1, &o->train.optimizer.weight_decay));
    else if (flag == "--seed") EDGETRAIN_RETURN_IF_ERROR(integer(0, &o->train.seed));
    else if (flag == "--check-every") EDGETRAIN_RETURN_IF_ERROR(integer(1, &o->train.check_every));
    else if (flag == "--comm-timeout") EDGETRAIN_RETURN_IF_ERROR(parse_number(flag.c_str(), value, 1, 86400, &o->comm_timeout));
    else return Status::error(StatusCode::InvalidArgument, "unknown flag '%s' (see --help)", flag.c_str());
  }
  if (o->train.stop_after > o->train.steps) {
    return Status::error(StatusCode::InvalidArgument, "--stop-after %u is past --steps %u (the run's length)",
                         o->train.stop_after, o->train.steps);
  }
  if (o->train.stop_after != 0 && o->save.empty()) {
    return Status::error(StatusCode::InvalidArgument,
                         "--stop-after needs --save FILE (the state a later --resume continues from)");
  }
  if (o->resume && o->save.empty()) {
    return Status::error(StatusCode::InvalidArgument, "--resume needs --save FILE (the state to resume from)");
  }
  if (o->threads > 0) EDGETRAIN_RETURN_IF_ERROR(check_threads(o->threads));
  if (!o->save.empty()) EDGETRAIN_RETURN_IF_ERROR(check_save_path(o->save.c_str()));
  if (o->resume && !o->init_state.empty()) {
    return Status::error(StatusCode::InvalidArgument, "--init-state and --resume both pick the starting state: give one");
  }
  return Status::ok();
}

Status run(const Options& o, Communicator* comm) {
  // The plan first, then the data (its transient reading buffers are gone before the session's
  // memory is allocated, as the planner's peak-RSS prediction has it), then the session.
  PlanInput chosen;
  EDGETRAIN_RETURN_IF_ERROR(Session::find_plan(nullptr, {o.batch, o.threads, o.train.seed}, &chosen));
  EDGETRAIN_RETURN_IF_ERROR(check_optimizer_flags(o, chosen));
  DataSets data;
  const InputShape in{chosen.height, chosen.width, chosen.channels, chosen.classes};
  EDGETRAIN_RETURN_IF_ERROR(open_data(o.data, o.synthetic, in, stderr, &data));
  EDGETRAIN_RETURN_IF_ERROR(check_data_sets(chosen.model, in, data, o.augment, o.data));
  std::unique_ptr<Session> session;
  EDGETRAIN_RETURN_IF_ERROR(Session::open(nullptr, {chosen.batch, o.threads, o.train.seed, comm, o.sync_bn}, &session));
  const PlanSummary plan = session->plan_summary();
  const ImageSet& train_set = data.train;
  const ImageSet& test_set = data.test;
  const bool folder = data.kind == DataKind::ImageFolder;

  const bool json = o.log_format == LogFormat::Json;
  if (json) {
    JsonLine(stdout, "plan").string("model", session->model()).integer("batch", session->batch())
        .integer("arena_bytes", plan.arena_bytes).integer("arena_lower_bound_bytes", plan.arena_lower_bound_bytes)
        .integer("params_bytes", plan.params_bytes).integer("ops", plan.train_ops)
        .string("optimizer", session->optimizer())
        .integer("threads", session->threads()).integer("images", train_set.count)
        .boolean("synthetic", o.synthetic > 0).string("data", data_kind_name(data.kind))
        .integer("test_images", test_set.count).integer("skipped_files", data.skipped);
  } else {
    if (comm && comm->size() > 1) {
      std::printf("data parallel: %u ranks, each %u of a global batch of %u; BatchNorm statistics %s\n", comm->size(),
                  session->batch(), comm->size() * session->batch(),
                  o.sync_bn ? "averaged over the ranks (--sync-bn)" : "each rank's own (--sync-bn averages them)");
    }
    std::printf("plan %s batch %u: arena %llu B (lower bound %llu B), params %llu B, %u ops/step, "
                "%u threads, %u %straining images\n",
                session->model(), session->batch(), static_cast<unsigned long long>(plan.arena_bytes),
                static_cast<unsigned long long>(plan.arena_lower_bound_bytes),
                static_cast<unsigned long long>(plan.params_bytes), plan.train_ops,
                session->threads(), train_set.count, o.synthetic ? "synthetic " : "");
    if (folder) {
      std::printf("image folder %s: %zu classes (%s ... %s), %u training and %u validation images%s, %s\n",
                  o.data.c_str(), train_set.class_names.size(), train_set.class_names.front().c_str(),
                  train_set.class_names.back().c_str(), train_set.count, test_set.count,
                  data.skipped ? " (unreadable files skipped: see the warnings)" : "",
                  o.augment ? "random crops and mirrors" : "center crops");
    }
  }
  TrainOptions train_options = o.train;
  train_options.log_format = o.log_format;
  train_options.augment = o.augment;
  train_options.comm = comm;
  const bool saves = comm == nullptr || comm->rank() == 0;  // rank 0 saves for all
  if (!o.save.empty() && saves) train_options.save_path = o.save.c_str();
  if (o.resume) {
    EDGETRAIN_RETURN_IF_ERROR(session->load(o.save.c_str()));
    train_options.resumed = true;
    if (json) {
      JsonLine(stdout, "resumed").string("path", o.save.c_str()).integer("step", session->step());
    } else {
      std::printf("resumed from %s at step %llu\n", o.save.c_str(), static_cast<unsigned long long>(session->step()));
    }
  }
  if (!o.init_state.empty()) {  // e.g. the weights of an imported ONNX model
    EDGETRAIN_RETURN_IF_ERROR(session->load_weights(o.init_state.c_str()));
    if (json) {
      JsonLine(stdout, "initial_state").string("path", o.init_state.c_str());
    } else {
      std::printf("initial weights and BatchNorm statistics from %s (step 0, momentum zero)\n",
                  o.init_state.c_str());
    }
  }
  const uint64_t first_step = session->step();
  if (o.profile) session->profile(true);
  uint32_t damaged = 0;
  EDGETRAIN_RETURN_IF_ERROR(train(*session, train_set, train_options, stdout, &damaged));
  const uint64_t steps_done = session->step();
  if (steps_done < o.train.steps) {  // --stop-after
    if (json) {
      JsonLine(stdout, "stopped").integer("step", steps_done).integer("steps", o.train.steps)
          .string("path", o.save.c_str());
    } else {
      std::printf("stopped at step %llu of %u: the state is in %s; --resume continues the run\n",
                  static_cast<unsigned long long>(steps_done), o.train.steps, o.save.c_str());
    }
  }
  if (o.profile && steps_done > first_step) {
    print_op_times(*session, static_cast<uint32_t>(steps_done - first_step), stdout, o.log_format);
  }

  if (comm && comm->size() > 1 && steps_done > first_step) print_comm_stats(comm->stats(), steps_done - first_step, stdout, o.log_format);
  if (comm && comm->rank() != 0) return Status::ok();  // rank 0 evaluates and reports for all

  uint32_t correct = 0, total = 0;
  EDGETRAIN_RETURN_IF_ERROR(evaluate(*session, test_set, o.eval_images, &correct, &total, &damaged));
  if (json) {
    JsonLine(stdout, "eval").number("accuracy", static_cast<double>(correct) / total).integer("correct", correct)
        .integer("images", total);
  } else {
    std::printf("%s accuracy %.2f%% (%u of %u images)\n", folder ? "validation" : "test", 100.0 * correct / total,
                correct, total);
  }
  if (damaged + data.skipped > 0) {
    std::fprintf(stderr, "edgetrain-train: warning: %u image files could not be read and were skipped (named "
                 "above)\n", damaged + data.skipped);
  }
  const uint64_t loader_bytes = std::max(BatchLoader::buffer_bytes(train_set, session->batch()),
                                         BatchLoader::buffer_bytes(test_set, session->batch()));
  // IDX files are Fashion-MNIST's (or MNIST's, the same sizes) or, like --synthetic, what the
  // planner was told (plan --data).
  const bool as_planned = data.kind == DataKind::Idx || data.kind == DataKind::Synthetic;
  print_peak_rss(plan, stdout, o.log_format, loader_bytes, as_planned);
  return Status::ok();
}


#ifdef EDGETRAIN_TRAIN_MPI
// mpirun ends the job with SIGTERM when a rank dies: each other rank says so in one line.
void on_sigterm(int) {
  static const char kLine[] = "edgetrain-train-mpi: error: stopped by mpirun: another rank ended (see mpirun's "
                              "message above or below)\n";
  (void)!::write(2, kLine, sizeof kLine - 1);
  ::_exit(1);
}
#endif

}  // namespace

int main(int argc, char** argv) {
  const char* name = "edgetrain-train";
  std::unique_ptr<Communicator> comm;
  Options options;
  Status s = parse_args(argc, argv, &options);
#ifdef EDGETRAIN_TRAIN_MPI
  name = "edgetrain-train-mpi";
  ::signal(SIGTERM, on_sigterm);
  if (s.is_ok()) s = open_mpi_communicator(&argc, &argv, options.comm_timeout, &comm);
  if (s.is_ok() && comm->rank() != 0 && std::freopen("/dev/null", "w", stdout) == nullptr) {
    s = Status::error(StatusCode::IoError, "cannot silence rank %u's output", comm->rank());
  }
#endif
  if (s.is_ok()) s = run(options, comm.get());
  if (!s.is_ok()) {
    if (comm) {
      std::fprintf(stderr, "%s: rank %u: error: %s\n", name, comm->rank(), s.message());
    } else {
      std::fprintf(stderr, "%s: error: %s\n", name, s.message());
    }
    return 1;  // comm's destructor aborts the job if a collective is stuck
  }
  return 0;
}
