// The gate broadcast of both product variants: each pixel row of a [batch, pixels, channels]
// tensor times its image's [channels] gate, by the variant's same-shape product.
#pragma once

#include <cstddef>

template <typename RowProduct>
void mul_rows(size_t batch, size_t pixels, size_t channels, const float* a, const float* b, float* y,
              RowProduct row_product) {
  for (size_t n = 0; n < batch; n++) {
    for (size_t p = 0; p < pixels; p++) {
      const size_t row = (n * pixels + p) * channels;
      row_product(channels, a + row, b + n * channels, y + row);
    }
  }
}
