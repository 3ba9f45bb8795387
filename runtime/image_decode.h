// JPEG (libjpeg-turbo's TurboJPEG API) and PNG (libpng's simplified API) files to u8 pixels with
// the plan's channel count: 1 (gray), 3 (RGB) or 4 (RGBA). Grayscale, palette, 16-bit and RGBA
// files are converted by the libraries. JPEGs are decoded at the smallest of libjpeg's DCT scales
// (1/8 .. 1) that still covers the size the caller needs, which makes a 12-megapixel photo
// cheap to bring down to a CNN's input.
#pragma once

#include <cstddef>
#include <cstdint>

#include "edgetrain/status.h"

namespace edgetrain {

enum class ImageFormat { Unknown, Jpeg, Png };

// By the file's first bytes, not its name.
ImageFormat sniff_image(const uint8_t* bytes, size_t size);

// The stored width and height from the header (nothing is decoded). `name` is for errors.
Status read_image_size(const char* name, const uint8_t* bytes, size_t size, uint32_t* width,
                       uint32_t* height);

// The size a decode of a width x height file gives when it needs at least need_w x need_h:
// for JPEG the smallest DCT scale that covers it (the stored size if none does), for PNG the
// stored size.
void decoded_size(ImageFormat format, uint32_t width, uint32_t height, uint32_t need_w,
                  uint32_t need_h, uint32_t* out_w, uint32_t* out_h);

// One decoder per thread: it holds libjpeg-turbo's handle (made once; decoding allocates only
// inside the libraries).
class ImageDecoder {
 public:
  ImageDecoder() = default;
  ~ImageDecoder();
  ImageDecoder(const ImageDecoder&) = delete;
  ImageDecoder& operator=(const ImageDecoder&) = delete;

  // Decodes into `dst` (capacity bytes) at decoded_size(...): *width x *height x channels,
  // rows packed. A damaged or truncated file is an error naming `name` and what the library said.
  Status decode(const char* name, const uint8_t* bytes, size_t size, uint32_t channels,
                uint32_t need_w, uint32_t need_h, uint8_t* dst, size_t capacity, uint32_t* width,
                uint32_t* height);

 private:
  void* jpeg_ = nullptr;  // tjhandle
};

}  // namespace edgetrain
