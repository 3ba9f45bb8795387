// Fuzz target for the image files of an image folder: the glue around libjpeg-turbo and libpng
// (runtime/image_decode.h) and the crop and resample after it (runtime/image_resample.h), as the
// BatchLoader runs them. The first byte picks the plan's channels (1, 3 or 4), the output size
// and whether the crop is augmented; the rest is the file. Built as a libFuzzer target with clang
// (-DEDGETRAIN_LIBFUZZER=ON), or with fuzz_main.cc as a deterministic mutation driver for ctest.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "image_decode.h"
#include "image_resample.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const uint8_t knobs = data[0];
  const uint32_t channels = (knobs & 3) == 0 ? 1 : (knobs & 3) == 1 ? 3 : 4;
  const uint32_t out_w = 1 + (knobs >> 2 & 7), out_h = 1 + (knobs >> 5 & 3);
  const bool augment = (knobs & 0x80) != 0;
  const uint8_t* file = data + 1;
  const size_t file_size = size - 1;
  uint32_t w = 0, h = 0;
  if (!edgetrain::read_image_size("fuzz", file, file_size, &w, &h).is_ok()) return 0;
  if (uint64_t{w} * h > (1u << 22)) return 0;  // a 4-megapixel cap keeps each input fast
  using namespace edgetrain;
  const CropWindow window = augment ? random_window(w, h, out_w, out_h, size) : center_window(w, h, out_w, out_h);
  uint32_t need_w = 0, need_h = 0, dw = 0, dh = 0;
  covering_size(w, h, window, &need_w, &need_h);
  decoded_size(sniff_image(file, file_size), w, h, need_w, need_h, &dw, &dh);
  std::vector<uint8_t> decoded(size_t{dw} * dh * channels);
  ImageDecoder decoder;
  uint32_t got_w = 0, got_h = 0;
  if (!decoder.decode("fuzz", file, file_size, channels, need_w, need_h, decoded.data(), decoded.size(), &got_w,
                      &got_h).is_ok()) {
    return 0;
  }
  if (got_w != dw || got_h != dh) __builtin_trap();  // the loader sizes its buffers by decoded_size
  std::vector<float> scratch(resample_scratch_floats(dh, out_w, channels));
  std::vector<uint8_t> out(size_t{out_w} * out_h * channels);
  resample(decoded.data(), dw, dh, channels, rescale_window(window, w, dw), out.data(), out_w, out_h, scratch.data());
  return 0;
}
