// Is decoding the bottleneck? Images per second of the BatchLoader (read + decode + resize +
// crop, its one thread) on camera-sized JPEG and PNG files, against images per second of the
// training step of the baked plan (MobileNetV2 at 96x96, batch 16), side by side in one run:
//   edgetrain-loader-bench [--threads N] [--batches N]
// The files are written first (libjpeg-turbo, libpng; smooth gradients plus noise, like a
// photo's detail) into a temporary folder.
#include <png.h>
#include <turbojpeg.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "batch_loader.h"
#include "data_source.h"
#include "executor.h"

using namespace edgetrain;
using Clock = std::chrono::steady_clock;

namespace {

std::vector<uint8_t> photo(uint32_t w, uint32_t h, std::mt19937& rng) {
  std::vector<uint8_t> px(size_t{w} * h * 3);
  for (uint32_t y = 0; y < h; ++y) {
    for (uint32_t x = 0; x < w; ++x) {
      uint8_t* p = &px[(size_t{y} * w + x) * 3];
      const int n = static_cast<int>(rng() % 24);
      p[0] = static_cast<uint8_t>(30 + 180 * x / w + n), p[1] = static_cast<uint8_t>(40 + 150 * y / h + n);
      p[2] = static_cast<uint8_t>(90 + n);
    }
  }
  return px;
}

bool write_file(const std::string& path, const void* data, size_t size) {
  FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) return false;
  const bool ok = std::fwrite(data, 1, size, f) == size;
  return std::fclose(f) == 0 && ok;
}

bool write_image(const std::string& path, const std::vector<uint8_t>& px, uint32_t w, uint32_t h, bool jpeg) {
  if (jpeg) {
    tjhandle tj = tjInitCompress();
    unsigned char* out = nullptr;
    unsigned long size = 0;
    const bool ok = tjCompress2(tj, px.data(), static_cast<int>(w), 0, static_cast<int>(h), TJPF_RGB, &out, &size,
                                TJSAMP_420, 90, 0) == 0 && write_file(path, out, size);
    tjFree(out);
    tjDestroy(tj);
    return ok;
  }
  png_image im;
  std::memset(&im, 0, sizeof im);
  im.version = PNG_IMAGE_VERSION;
  im.width = w, im.height = h, im.format = PNG_FORMAT_RGB;
  return png_image_write_to_file(&im, path.c_str(), 0, px.data(), 0, nullptr) != 0;
}

double loader_images_per_second(const ImageSet& set, uint32_t batch, uint32_t batches, bool augment) {
  BatchLoader loader;
  if (!loader.init(set, batch, augment).is_ok()) return 0;
  std::vector<uint8_t> input(size_t{batch} * set.image_bytes());
  std::vector<int32_t> labels(batch);
  std::vector<uint32_t> idx(batch);
  const auto start = Clock::now();
  for (uint32_t b = 0; b < batches; ++b) {
    for (uint32_t i = 0; i < batch; ++i) idx[i] = (b * batch + i) % set.count;
    loader.submit(idx.data(), b);
    if (!loader.take(input.data(), labels.data()).is_ok()) return 0;
  }
  return double(batch) * batches / std::chrono::duration<double>(Clock::now() - start).count();
}

}  // namespace

int main(int argc, char** argv) {
  uint32_t threads = 0, batches = 8;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--threads") == 0) threads = static_cast<uint32_t>(std::atoi(argv[i + 1]));
    if (std::strcmp(argv[i], "--batches") == 0) batches = static_cast<uint32_t>(std::atoi(argv[i + 1]));
  }
  const Plan& plan = *kBakedPlans.plans[0];
  XnnContext xnn;
  Executor exec;
  if (!xnn.init(threads).is_ok() || !exec.init(plan, xnn, 1).is_ok()) {
    std::fprintf(stderr, "loader-bench: cannot set up the executor\n");
    return 1;
  }
  // The step: the mean over `batches` steps after one that sizes XNNPACK's region. The input
  // and labels are arena tensors that the step overwrites: filled before every step.
  auto step = [&] {
    std::memset(exec.input(), 128, plan.tensors[plan.input].bytes);
    for (uint32_t b = 0; b < plan.batch; ++b) exec.labels()[b] = static_cast<int32_t>(b % 10);
    return exec.train_step({0.01f, 0.9f, 0.0f}).is_ok();
  };
  if (!step()) return 1;
  const auto start = Clock::now();
  for (uint32_t s = 0; s < batches; ++s) {
    if (!step()) return 1;
  }
  const double step_ips = double(plan.batch) * batches / std::chrono::duration<double>(Clock::now() - start).count();

  char dir[] = "/tmp/edgetrain_loader_bench_XXXXXX";
  if (!mkdtemp(dir)) return 1;
  std::mt19937 rng(1);
  struct Source { const char* name; uint32_t w, h; bool jpeg; } sources[] = {
      {"640x480 JPEG q90", 640, 480, true}, {"1920x1080 JPEG q90", 1920, 1080, true},
      {"640x480 PNG", 640, 480, false}};
  const uint32_t* in = plan.tensors[plan.input].shape;
  std::printf("plan %s %ux%ux%u batch %u, %zu step threads; the loader: 1 thread, %u batches\n", plan.model,
              in[1], in[2], in[3], plan.batch, xnn.threads(), batches);
  std::printf("%-20s %16s %16s %16s %10s\n", "source files", "loader img/s", "(--augment)", "step img/s",
              "headroom");
  int status = 0;
  for (const Source& s : sources) {
    const std::string root = std::string(dir) + "/" + std::to_string(s.w) + (s.jpeg ? "j" : "p");
    for (uint32_t c = 0; c < 10; ++c) {
      const std::string cls = root + "/c" + std::to_string(c);
      if (std::system(("mkdir -p " + cls).c_str()) != 0) return 1;
      for (uint32_t i = 0; i < 4; ++i) {
        if (!write_image(cls + "/" + std::to_string(i) + (s.jpeg ? ".jpg" : ".png"), photo(s.w, s.h, rng), s.w, s.h,
                         s.jpeg)) {
          return 1;
        }
      }
    }
    DataSets data;
    FILE* quiet = std::fopen("/dev/null", "w");
    const Status st = open_data(root, 0, input_shape(plan), quiet, &data);
    std::fclose(quiet);
    if (!st.is_ok()) {
      std::fprintf(stderr, "loader-bench: %s\n", st.message());
      status = 1;
      break;
    }
    const double center = loader_images_per_second(data.train, plan.batch, batches, false);
    const double augment = loader_images_per_second(data.train, plan.batch, batches, true);
    std::printf("%-20s %16.1f %16.1f %16.1f %9.1fx\n", s.name, center, augment, step_ips,
                std::min(center, augment) / step_ips);
  }
  if (std::system(("rm -rf " + std::string(dir)).c_str()) != 0) status = 1;
  return status;
}
