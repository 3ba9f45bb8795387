// Fully connected: forward on a hand-computed case and against the double reference; input,
// weight and bias gradients against finite differences.
#include <doctest/doctest.h>

#include <vector>

#include "kernels/kernels.h"
#include "reference.h"
#include "test_random.h"

using namespace edgetrain::test;

TEST_CASE("fc forward: w is out x in") {
  const std::vector<float> x = {1, 2, /* row 2 */ -1, 3};
  const std::vector<float> w = {1, 0, 0, 1, 1, 1};
  const std::vector<float> b = {0, 0, 1};
  std::vector<float> y(6);
  f32_fc_scalar(2, 2, 3, x.data(), w.data(), b.data(), y.data());
  CHECK(y == std::vector<float>{1, 2, 4, -1, 3, 3});
  f32_fc_scalar(2, 2, 3, x.data(), w.data(), nullptr, y.data());
  CHECK(y == std::vector<float>{1, 2, 3, -1, 3, 2});
}

TEST_CASE("fc backward matches finite differences") {
  EDGETRAIN_SEEDED_RNG(rng);
  struct Shape { size_t batch, in, out; };
  for (Shape s : {Shape{1, 7, 5}, Shape{3, 9, 10}, Shape{4, 1, 3}, Shape{5, 33, 2}}) {
    INFO("batch " << s.batch << " in " << s.in << " out " << s.out);
    const auto x = uniform(rng, s.batch * s.in), w = uniform(rng, s.out * s.in);
    const auto b = uniform(rng, s.out), r = uniform(rng, s.batch * s.out);
    const dvec xd = to_double(x), wd = to_double(w), bd = to_double(b), rd = to_double(r);

    std::vector<float> y(r.size());
    f32_fc_scalar(s.batch, s.in, s.out, x.data(), w.data(), b.data(), y.data());
    check_close("y", y, fc_ref(s.batch, s.in, s.out, xd, wd, &bd), 1e-5, 1e-6);

    std::vector<float> dx(x.size(), 7.0f), dw(w.size(), 7.0f), db(b.size(), 7.0f);
    f32_fc_bwd_data_scalar(s.batch, s.in, s.out, r.data(), w.data(), dx.data());
    f32_fc_bwd_weights_scalar(s.batch, s.in, s.out, x.data(), r.data(), dw.data(), db.data());
    // Float kernel vs double finite differences: 1e-3 relative + 1e-4 of the tensor's max.
    check_close("dx", dx, fd_gradient(rd, xd, [&](const dvec& v) { return fc_ref(s.batch, s.in, s.out, v, wd, &bd); }),
                1e-3, 1e-4);
    check_close("dw", dw, fd_gradient(rd, wd, [&](const dvec& v) { return fc_ref(s.batch, s.in, s.out, xd, v, &bd); }),
                1e-3, 1e-4);
    check_close("dbias", db, fd_gradient(rd, bd, [&](const dvec& v) { return fc_ref(s.batch, s.in, s.out, xd, wd, &v); }),
                1e-3, 1e-4);

    std::vector<float> dw2(w.size(), -3.0f);
    f32_fc_bwd_weights_scalar(s.batch, s.in, s.out, x.data(), r.data(), dw2.data(), nullptr);
    CHECK(dw2 == dw);
  }
}
