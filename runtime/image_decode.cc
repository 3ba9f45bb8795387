#include "image_decode.h"

#include <png.h>
#include <turbojpeg.h>

#include <cstring>

namespace edgetrain {

namespace {

constexpr uint32_t kMaxSide = 1u << 15;  // 32768: larger images are refused before decoding

int jpeg_pixel_format(uint32_t channels) {
  return channels == 1 ? TJPF_GRAY : channels == 3 ? TJPF_RGB : TJPF_RGBA;
}

png_uint_32 png_format(uint32_t channels) {
  return channels == 1 ? PNG_FORMAT_GRAY : channels == 3 ? PNG_FORMAT_RGB : PNG_FORMAT_RGBA;
}

// libjpeg-turbo's DCT scales from 1/8 to 1 (2/8, 3/8, ...), smallest first.
void jpeg_scaled(uint32_t width, uint32_t height, uint32_t need_w, uint32_t need_h, uint32_t* out_w,
                 uint32_t* out_h) {
  for (int num = 1; num <= 8; ++num) {
    const tjscalingfactor f{num, 8};
    const auto w = static_cast<uint32_t>(TJSCALED(static_cast<int>(width), f));
    const auto h = static_cast<uint32_t>(TJSCALED(static_cast<int>(height), f));
    if ((w >= need_w && h >= need_h) || num == 8) {
      *out_w = w, *out_h = h;
      return;
    }
  }
}

Status check_side(const char* name, uint32_t width, uint32_t height) {
  if (width == 0 || height == 0 || width > kMaxSide || height > kMaxSide) {
    return Status::error(StatusCode::BadData, "image '%s' is %ux%u: sides must be 1..%u pixels", name, width,
                         height, kMaxSide);
  }
  return Status::ok();
}

}  // namespace

ImageFormat sniff_image(const uint8_t* bytes, size_t size) {
  if (size >= 3 && bytes[0] == 0xff && bytes[1] == 0xd8 && bytes[2] == 0xff) return ImageFormat::Jpeg;
  static const uint8_t kPng[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
  if (size >= 8 && std::memcmp(bytes, kPng, 8) == 0) return ImageFormat::Png;
  return ImageFormat::Unknown;
}

Status read_image_size(const char* name, const uint8_t* bytes, size_t size, uint32_t* width,
                       uint32_t* height) {
  switch (sniff_image(bytes, size)) {
    case ImageFormat::Jpeg: {
      tjhandle h = tjInitDecompress();
      if (!h) return Status::error(StatusCode::OutOfMemory, "libjpeg-turbo: %s", tjGetErrorStr2(nullptr));
      int w = 0, hh = 0, subsamp = 0, colorspace = 0;
      const int rc = tjDecompressHeader3(h, bytes, size, &w, &hh, &subsamp, &colorspace);
      Status s = rc == 0 ? Status::ok()
                         : Status::error(StatusCode::BadData, "image '%s' is not a readable JPEG: %s", name,
                                         tjGetErrorStr2(h));
      tjDestroy(h);
      EDGETRAIN_RETURN_IF_ERROR(s);
      *width = static_cast<uint32_t>(w), *height = static_cast<uint32_t>(hh);
      return check_side(name, *width, *height);
    }
    case ImageFormat::Png: {
      png_image image;
      std::memset(&image, 0, sizeof image);
      image.version = PNG_IMAGE_VERSION;
      if (!png_image_begin_read_from_memory(&image, bytes, size)) {
        return Status::error(StatusCode::BadData, "image '%s' is not a readable PNG: %s", name, image.message);
      }
      *width = image.width, *height = image.height;
      png_image_free(&image);
      return check_side(name, *width, *height);
    }
    case ImageFormat::Unknown:
      break;
  }
  return Status::error(StatusCode::BadData, "image '%s' is neither JPEG nor PNG (by its first bytes)", name);
}

void decoded_size(ImageFormat format, uint32_t width, uint32_t height, uint32_t need_w, uint32_t need_h,
                  uint32_t* out_w, uint32_t* out_h) {
  if (format == ImageFormat::Jpeg) {
    jpeg_scaled(width, height, need_w, need_h, out_w, out_h);
  } else {
    *out_w = width, *out_h = height;
  }
}

ImageDecoder::~ImageDecoder() {
  if (jpeg_) tjDestroy(static_cast<tjhandle>(jpeg_));
}

Status ImageDecoder::decode(const char* name, const uint8_t* bytes, size_t size, uint32_t channels,
                            uint32_t need_w, uint32_t need_h, uint8_t* dst, size_t capacity,
                            uint32_t* width, uint32_t* height) {
  if (channels != 1 && channels != 3 && channels != 4) {
    return Status::error(StatusCode::InvalidArgument, "images decode to 1, 3 or 4 channels, not %u", channels);
  }
  uint32_t w = 0, h = 0;
  EDGETRAIN_RETURN_IF_ERROR(read_image_size(name, bytes, size, &w, &h));
  const ImageFormat format = sniff_image(bytes, size);
  decoded_size(format, w, h, need_w, need_h, width, height);
  const size_t need = size_t{*width} * *height * channels;
  if (need > capacity) {
    return Status::error(StatusCode::BadData, "image '%s' decodes to %ux%u, more than the %zu bytes the loader "
                         "sized for it (did the file change while training?)", name, *width, *height, capacity);
  }
  if (format == ImageFormat::Jpeg) {
    if (!jpeg_) jpeg_ = tjInitDecompress();
    if (!jpeg_) return Status::error(StatusCode::OutOfMemory, "libjpeg-turbo: %s", tjGetErrorStr2(nullptr));
    auto* tj = static_cast<tjhandle>(jpeg_);
    // Warnings (a truncated file, corrupt data) are errors: the library would hand back gray rows.
    if (tjDecompress2(tj, bytes, size, dst, static_cast<int>(*width), 0, static_cast<int>(*height),
                      jpeg_pixel_format(channels), TJFLAG_STOPONWARNING) != 0) {
      return Status::error(StatusCode::BadData, "image '%s' is a damaged JPEG: %s", name, tjGetErrorStr2(tj));
    }
    return Status::ok();
  }
  png_image image;
  std::memset(&image, 0, sizeof image);
  image.version = PNG_IMAGE_VERSION;
  if (!png_image_begin_read_from_memory(&image, bytes, size)) {
    return Status::error(StatusCode::BadData, "image '%s' is not a readable PNG: %s", name, image.message);
  }
  image.format = png_format(channels);
  // Transparent pixels composite over black (background nullptr) when alpha is dropped.
  if (!png_image_finish_read(&image, nullptr, dst, 0, nullptr)) {
    Status s = Status::error(StatusCode::BadData, "image '%s' is a damaged PNG: %s", name, image.message);
    png_image_free(&image);
    return s;
  }
  return Status::ok();
}

}  // namespace edgetrain
