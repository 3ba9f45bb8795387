#include "emit/report.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "cost/cost.h"
#include "util/names.h"
#include "util/units.h"

extern char** environ;

namespace edgetrain::planner {

namespace {

std::string shape_text(const std::vector<uint32_t>& shape) {
  std::string s;
  for (uint32_t d : shape) s += (s.empty() ? "" : "x") + std::to_string(d);
  return s;
}

// How many times the planned step runs forward op `i`: its first run and its recompute clones
// ("name~rN"), told apart from backward ops by the tensor they write.
int forward_runs(const Graph& planned, const std::string& out_name) {
  int runs = 0;
  for (const Op& op : planned.train) {
    if (op.out.empty() || op.out[0] == kNoTensor) continue;
    const std::string& name = planned.at(op.out[0]).name;
    runs += name == out_name || name.rfind(out_name + "~r", 0) == 0;
  }
  return runs;
}

std::string human_count(double v) {
  char buf[32];
  if (v >= 1e9) std::snprintf(buf, sizeof buf, "%.2f G", v / 1e9);
  else if (v >= 1e6) std::snprintf(buf, sizeof buf, "%.2f M", v / 1e6);
  else if (v >= 1e3) std::snprintf(buf, sizeof buf, "%.1f k", v / 1e3);
  else std::snprintf(buf, sizeof buf, "%.0f", v);
  return buf;
}

void write_text(const std::filesystem::path& path, const std::string& text) {
  std::ofstream f(path, std::ios::binary);
  if (!f || !(f << text) || !f.flush()) {
    throw std::runtime_error("cannot write '" + path.string() + "': " + std::strerror(errno));
  }
}

// Runs gnuplot on `script` with its messages in `log`; throws one line if it is missing or fails.
void run_gnuplot(const std::filesystem::path& script, const std::filesystem::path& log) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 2, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  std::string arg0 = "gnuplot", arg1 = script.string();
  char* argv[] = {arg0.data(), arg1.data(), nullptr};
  pid_t pid = 0;
  const int rc = posix_spawnp(&pid, "gnuplot", &actions, nullptr, argv, environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc == ENOENT) {
    throw std::runtime_error("--report draws pareto.png with gnuplot, which is not on PATH (Debian: apt-get install gnuplot-nox)");
  }
  if (rc != 0) throw std::runtime_error(std::string("cannot run gnuplot: ") + std::strerror(rc));
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    std::ifstream f(log);
    std::string line, last;
    while (std::getline(f, line)) if (!line.empty()) last = line;
    throw std::runtime_error("gnuplot failed drawing pareto.png" + (last.empty() ? "" : ": " + last) +
                             " (see " + log.string() + ")");
  }
}

}  // namespace

std::vector<ParetoPoint> pareto_points(const Graph& derived, const Chain& chain) {
  std::vector<ParetoPoint> out;
  for (const std::string& name : policy_names()) {
    std::vector<ParetoPoint> curve;
    for (const Planned& p : policy_curve(derived, chain, parse_policy(name))) {
      curve.push_back({name, p.strategy.parameter.empty() ? "-" : p.strategy.parameter, p.total_bytes(),
                       p.step_time / p.store_all_time});
    }
    std::sort(curve.begin(), curve.end(), [](const ParetoPoint& a, const ParetoPoint& b) {
      return a.total_bytes != b.total_bytes ? a.total_bytes < b.total_bytes : a.relative_time < b.relative_time;
    });
    double best = 1e300;
    for (const ParetoPoint& p : curve) {
      if (p.relative_time < best - 1e-12) {
        out.push_back(p);
        best = p.relative_time;
      }
    }
  }
  return out;
}

std::string report_markdown(const Graph& g, const Chain& chain, const Planned& chosen,
                            const std::string& policy, uint64_t budget_bytes,
                            const std::vector<ParetoPoint>& points) {
  std::ostringstream md;
  const Graph& pg = chosen.graph;
  md << "# Plan report: " << g.model << ", batch " << g.batch << ", " << policy << "\n\n";
  md << "- budget: " << (budget_bytes ? std::to_string(budget_bytes) + " bytes (" + format_mib(budget_bytes) + ")" : "none")
     << "\n- arena: " << pg.arena_bytes << " bytes (lower bound " << pg.arena_lower_bound << "), params block "
     << pg.params_bytes << " bytes, total " << format_mib(chosen.total_bytes()) << "\n";
  char extra[64];
  std::snprintf(extra, sizeof extra, "%+.1f%%", 100.0 * chosen.extra_forward_fraction());
  md << "- step time over store-all's: " << extra << " (" << (chosen.strategy.parameter.empty() ? "-" : chosen.strategy.parameter)
     << "); " << pg.train.size() << " train ops\n\n";

  md << "## Layers\n\n"
     << "| # | name | op | output shape | bytes | FLOPs | kept or recomputed |\n"
     << "|--:|------|----|--------------|------:|------:|--------------------|\n";
  for (size_t i = 0; i < g.forward.size(); ++i) {
    const Op& op = g.forward[i];
    const Tensor& out = g.at(op.out[0]);
    const int runs = forward_runs(pg, out.name);
    md << "| " << i << " | " << out.name << " | " << op_name(op.kind) << " | " << shape_text(out.shape) << " | "
       << out.bytes() << " | " << human_count(op_flops(g, op)) << " | "
       << (runs <= 1 ? std::string("kept") : "recomputed x" + std::to_string(runs - 1)) << " |\n";
  }

  md << "\n## Checkpoints\n\nStage inputs held from the first forward sweep to their backward:";
  const std::vector<int> kept = checkpoints(chosen.strategy, chain);
  if (kept.empty()) md << " none besides the image (every recompute starts from it)";
  for (size_t k = 0; k < kept.size(); ++k) {
    const Stage& st = chain.stages.at(static_cast<size_t>(kept[k]));
    md << (k ? ", " : " ") << "`" << g.at(st.input).name << "` (stage " << kept[k] << ")";
  }
  md << ".\n\n## Memory vs time: every policy's Pareto points\n\n"
     << "![memory vs time](pareto.png)\n\n"
     << "| policy | member | total bytes | total | step time vs store-all |\n"
     << "|--------|--------|------------:|------:|-----------------------:|\n";
  for (const ParetoPoint& p : points) {
    std::snprintf(extra, sizeof extra, "%+.1f%%", 100.0 * (p.relative_time - 1.0));
    md << "| " << p.policy << " | " << p.member << " | " << p.total_bytes << " | " << format_mib(p.total_bytes)
       << " | " << extra << " |\n";
  }
  return md.str();
}

void write_report(const std::string& dir, const Graph& derived, const Chain& chain, const Planned& chosen,
                  const std::string& policy, uint64_t budget_bytes) {
  const std::filesystem::path d(dir);
  std::error_code ec;
  std::filesystem::create_directories(d, ec);
  if (ec) throw std::runtime_error("cannot create report directory '" + dir + "': " + ec.message());
  const std::vector<ParetoPoint> points = pareto_points(derived, chain);
  write_text(d / "report.md", report_markdown(derived, chain, chosen, policy, budget_bytes, points));

  // One gnuplot data block per policy (x: MiB, y: extra time %), then the chosen plan alone.
  std::ostringstream dat, gp;
  std::vector<std::string> policies;
  for (const ParetoPoint& p : points) {
    if (policies.empty() || policies.back() != p.policy) {
      if (!policies.empty()) dat << "\n\n";
      policies.push_back(p.policy);
      dat << "# " << p.policy << "\n";
    }
    dat << static_cast<double>(p.total_bytes) / 1048576.0 << " " << 100.0 * (p.relative_time - 1.0) << "\n";
  }
  dat << "\n\n# chosen\n" << static_cast<double>(chosen.total_bytes()) / 1048576.0 << " " << 100.0 * chosen.extra_forward_fraction() << "\n";
  write_text(d / "pareto.dat", dat.str());
  gp << "set terminal pngcairo size 900,560 font 'sans,11' noenhanced\n"
     << "set output '" << (d / "pareto.png").string() << "'\n"
     // A quote in the title would end gnuplot's string and run the rest: names only as data.
     << "set title '" << sanitize_name(derived.model) << " batch " << derived.batch << ": memory vs time, every policy'\n"
     << "set xlabel 'peak bytes of the step (arena + params), MiB'\n"
     << "set ylabel 'step time over store-all, %'\n"
     << "set grid\nset key outside right top\n"
     << "plot ";
  static const char* kColours[] = {"#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#1f78b4", "#66a61e"};
  for (size_t i = 0; i < policies.size(); ++i) {
    gp << "'" << (d / "pareto.dat").string() << "' index " << i << " with linespoints pt " << 5 + 2 * (i % 4)
       << " ps 1.2 lw 2 lc rgb '" << kColours[i % 6] << "' title '" << policies[i] << "', ";
  }
  gp << "'" << (d / "pareto.dat").string() << "' index " << policies.size()
     << " with points pt 6 ps 3 lw 2 lc rgb 'black' title 'chosen (" << policy << ")'\n";
  write_text(d / "pareto.gp", gp.str());
  run_gnuplot(d / "pareto.gp", d / "pareto.log");
}

}  // namespace edgetrain::planner
