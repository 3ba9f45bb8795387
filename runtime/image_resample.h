// Resize on the shorter side and crop, in one resampling pass: the crop window is chosen in the
// source image, and only it is filtered down (or up) to the plan's input size. The filter is a
// triangle (bilinear) widened by the downscale factor, which is what antialiased resizing in
// PIL and torchvision does; at scale 1 it copies pixels exactly.
#pragma once

#include <cstddef>
#include <cstdint>

namespace edgetrain {

// The part of a src_w x src_h image that becomes the dst_w x dst_h output: its top-left corner
// in source pixels and the source pixels per output pixel (the same on both axes).
struct CropWindow {
  double x0 = 0, y0 = 0, step = 1;
  bool flip = false;  // mirror left-right
};

// The center crop after scaling the image to cover dst_w x dst_h (torchvision's Resize(shorter
// side) + CenterCrop when the plan's input is square).
CropWindow center_window(uint32_t src_w, uint32_t src_h, uint32_t dst_w, uint32_t dst_h);

// The training augmentation (--augment): the image scaled to cover 8/7 of dst_w x dst_h (as
// Resize(256) before a 224 crop), a crop at a random position and a mirror with probability 1/2,
// all drawn from `key` (a pure function of seed, step and slot, so a resumed run draws the same).
CropWindow random_window(uint32_t src_w, uint32_t src_h, uint32_t dst_w, uint32_t dst_h, uint64_t key);

// The smallest size (at most the stored one) a src_w x src_h image can be decoded at for
// `window` to shrink it, never enlarge it: what a JPEG's DCT scaling may take away.
void covering_size(uint32_t src_w, uint32_t src_h, const CropWindow& window, uint32_t* need_w, uint32_t* need_h);

// The window's corner and step in a source that was decoded smaller (a JPEG at a DCT scale):
// the same part of the picture.
CropWindow rescale_window(const CropWindow& w, uint32_t from_w, uint32_t to_w);

// Floats of scratch resample() needs for a src_h-row source and a dst_w-wide output.
size_t resample_scratch_floats(uint32_t src_h, uint32_t dst_w, uint32_t channels);

// Resamples the window of `src` (src_w x src_h x channels, rows packed) into `dst`
// (dst_w x dst_h x channels). Pixels outside the source repeat its edge.
void resample(const uint8_t* src, uint32_t src_w, uint32_t src_h, uint32_t channels, const CropWindow& window,
              uint8_t* dst, uint32_t dst_w, uint32_t dst_h, float* scratch);

}  // namespace edgetrain
