// Every op's forward and every gradient against PyTorch goldens (tests/golden/goldens.bin, made
// by make_goldens.py in float64). Tolerance, element-wise, for every op:
//   |got - want| <= kRtol * |want| + kAtolFrac * max|want over the tensor|
// with kRtol = 1e-4 and kAtolFrac = 1e-5: relative 1e-4, plus an absolute floor far below it
// for entries that are sums with cancellation (a float32 sum of k terms of size s carries an
// error of ~k * 6e-8 * s even when the sum itself is near zero).
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "golden.h"
#include "golden_variants.h"
#include "kernels/kernels.h"
#include "reference.h"

using namespace edgetrain::test;

namespace {

constexpr double kRtol = 1e-4, kAtolFrac = 1e-5;

const Goldens& goldens() {
  const Goldens& g = Goldens::get();
  INFO(g.error());
  REQUIRE(g.ok());
  return g;
}

void check(const std::string& what, const std::vector<float>& got, const std::vector<float>& want) {
  check_close(what, got, to_double(want), kRtol, kAtolFrac);
}

f32_window_geometry conv_geometry(const std::vector<size_t>& p) {
  // n, h, w, ic, oc, kh, kw, stride, pad, groups, oh, ow
  f32_window_geometry g{};
  g.batch = p[0];
  g.in_h = p[1];
  g.in_w = p[2];
  g.in_c = p[3];
  g.out_c = p[4];
  g.kernel_h = p[5];
  g.kernel_w = p[6];
  g.stride_h = g.stride_w = p[7];
  g.pad_top = g.pad_left = p[8];
  g.groups = p[9];
  g.out_h = p[10];
  g.out_w = p[11];
  return g;
}

}  // namespace

TEST_CASE("goldens: the file loads and holds every op") {
  const Goldens& g = goldens();
  for (const char* op : {"conv", "bn", "act", "maxpool", "gavgpool", "fc", "xent", "sgd", "adam", "adamw"}) {
    INFO(op);
    CHECK(!g.cases(op).empty());
  }
}

TEST_CASE("goldens: conv2d forward, input, weight and bias gradients (every variant)") {
  const Goldens& gd = goldens();
  for (const std::string& name : gd.cases("conv")) {
    const std::string pre = "conv/" + name + "/";
    const f32_window_geometry g = conv_geometry(gd.ints(pre + "geom"));
    const bool has_bias = gd.has(pre + "b");
    const auto& x = gd.at(pre + "x");
    const auto& w = gd.at(pre + "w");
    const auto& dy = gd.at(pre + "dy");
    std::vector<float> y(y_size(g));
    f32_conv2d_scalar(g, x.data(), w.data(), has_bias ? gd.at(pre + "b").data() : nullptr, y.data());
    check(pre + "y", y, gd.at(pre + "y"));
    for (const ConvBwdVariant& v : conv_bwd_variants()) {
      INFO("variant " << v.name);
      std::vector<float> dx(x_size(g), 1e30f), dw(w_size(g), 1e30f), db(g.out_c, 1e30f);
      v.bwd_data(g, dy.data(), w.data(), dx.data());
      v.bwd_weights(g, x.data(), dy.data(), dw.data(), has_bias ? db.data() : nullptr);
      check(pre + "dx", dx, gd.at(pre + "dx"));
      check(pre + "dw", dw, gd.at(pre + "dw"));
      if (has_bias) check(pre + "db", db, gd.at(pre + "db"));
    }
  }
}

TEST_CASE("goldens: batch norm train (batch and running statistics), eval and backward") {
  const Goldens& gd = goldens();
  for (const std::string& name : gd.cases("bn")) {
    const std::string pre = "bn/" + name + "/";
    const auto p = gd.ints(pre + "geom");  // n, h, w, c
    const size_t rows = p[0] * p[1] * p[2], ch = p[3];
    const auto& x = gd.at(pre + "x");
    const auto& gamma = gd.at(pre + "gamma");
    const auto& beta = gd.at(pre + "beta");
    std::vector<float> y(x.size()), mean(ch), var(ch);
    f32_batchnorm_fwd_train_scalar(rows, ch, 1e-5f, x.data(), gamma.data(), beta.data(), y.data(),
                                   mean.data(), var.data());
    check(pre + "y", y, gd.at(pre + "y"));
    check(pre + "mean", mean, gd.at(pre + "mean"));
    check(pre + "var", var, gd.at(pre + "var"));
    std::vector<float> rm = gd.at(pre + "running_mean0"), rv = gd.at(pre + "running_var0");
    f32_batchnorm_update_running_scalar(rows, ch, 0.1f, mean.data(), var.data(), rm.data(), rv.data());
    check(pre + "running_mean", rm, gd.at(pre + "running_mean"));
    check(pre + "running_var", rv, gd.at(pre + "running_var"));
    std::vector<float> dx(x.size()), dgamma(ch), dbeta(ch);
    f32_batchnorm_bwd_scalar(rows, ch, 1e-5f, x.data(), gamma.data(), mean.data(), var.data(),
                             gd.at(pre + "dy").data(), dx.data(), dgamma.data(), dbeta.data());
    check(pre + "dx", dx, gd.at(pre + "dx"));
    check(pre + "dgamma", dgamma, gd.at(pre + "dgamma"));
    check(pre + "dbeta", dbeta, gd.at(pre + "dbeta"));
    f32_batchnorm_fwd_eval_scalar(rows, ch, 1e-5f, x.data(), gamma.data(), beta.data(),
                                  gd.at(pre + "running_mean0").data(),
                                  gd.at(pre + "running_var0").data(), y.data());
    check(pre + "y_eval", y, gd.at(pre + "y_eval"));

    // The selected (row-major, channel-tiled) variants, in two uneven channel tiles.
    const size_t split = ch / 3;
    std::vector<float> y2(x.size()), mean2(ch), var2(ch), dx2(x.size()), dgamma2(ch), dbeta2(ch);
    for (const auto& [b, e] : {std::pair<size_t, size_t>{0, split}, {split, ch}}) {
      f32_batchnorm_fwd_train(rows, ch, 1e-5f, x.data(), gamma.data(), beta.data(), y2.data(),
                              mean2.data(), var2.data(), b, e);
      f32_batchnorm_bwd(rows, ch, 1e-5f, x.data(), gamma.data(), mean2.data(), var2.data(),
                        gd.at(pre + "dy").data(), dx2.data(), dgamma2.data(), dbeta2.data(), b, e);
    }
    check(pre + "y (tiled)", y2, gd.at(pre + "y"));
    check(pre + "mean (tiled)", mean2, gd.at(pre + "mean"));
    check(pre + "var (tiled)", var2, gd.at(pre + "var"));
    check(pre + "dx (tiled)", dx2, gd.at(pre + "dx"));
    check(pre + "dgamma (tiled)", dgamma2, gd.at(pre + "dgamma"));
    check(pre + "dbeta (tiled)", dbeta2, gd.at(pre + "dbeta"));
  }
}

TEST_CASE("goldens: relu, relu6, add and a residual join's gradient fan-out") {
  const Goldens& gd = goldens();
  for (const std::string& name : gd.cases("act")) {
    const std::string pre = "act/" + name + "/";
    const auto& x = gd.at(pre + "x");
    const auto& dy = gd.at(pre + "dy");
    const size_t n = x.size();
    std::vector<float> y(n), dx(n), branch(n);
    f32_relu_scalar(n, x.data(), y.data());
    check(pre + "relu", y, gd.at(pre + "relu"));
    f32_relu_bwd_scalar(n, y.data(), dy.data(), dx.data());
    check(pre + "relu_dx", dx, gd.at(pre + "relu_dx"));
    // y = x + relu(x): the identity branch's dy and the relu branch's gradient are summed.
    f32_relu_bwd_scalar(n, y.data(), dy.data(), branch.data());
    f32_add_scalar(n, dy.data(), branch.data(), dx.data());
    check(pre + "residual_dx", dx, gd.at(pre + "residual_dx"));
    f32_relu6_scalar(n, x.data(), y.data());
    check(pre + "relu6", y, gd.at(pre + "relu6"));
    f32_relu6_bwd_scalar(n, y.data(), dy.data(), dx.data());
    check(pre + "relu6_dx", dx, gd.at(pre + "relu6_dx"));
    f32_add_scalar(n, x.data(), gd.at(pre + "b").data(), y.data());
    check(pre + "add", y, gd.at(pre + "add"));
  }
}

TEST_CASE("goldens: max pool 3x3/s2/p1 and 2x2/s2, forward and backward") {
  const Goldens& gd = goldens();
  for (const std::string& name : gd.cases("maxpool")) {
    const std::string pre = "maxpool/" + name + "/";
    const auto p = gd.ints(pre + "geom");  // n, h, w, c, kh, kw, stride, pad, oh, ow
    f32_window_geometry g{};
    g.batch = p[0];
    g.in_h = p[1];
    g.in_w = p[2];
    g.in_c = g.out_c = p[3];
    g.kernel_h = p[4];
    g.kernel_w = p[5];
    g.stride_h = g.stride_w = p[6];
    g.pad_top = g.pad_left = p[7];
    g.out_h = p[8];
    g.out_w = p[9];
    g.groups = 1;
    const auto& x = gd.at(pre + "x");
    std::vector<float> y(y_size(g)), dx(x.size());
    f32_maxpool2d_scalar(g, x.data(), y.data());
    check(pre + "y", y, gd.at(pre + "y"));
    f32_maxpool2d_bwd_scalar(g, x.data(), gd.at(pre + "dy").data(), dx.data());
    check(pre + "dx", dx, gd.at(pre + "dx"));
  }
}

TEST_CASE("goldens: global average pool, forward and backward") {
  const Goldens& gd = goldens();
  for (const std::string& name : gd.cases("gavgpool")) {
    const std::string pre = "gavgpool/" + name + "/";
    const auto p = gd.ints(pre + "geom");  // n, h, w, c
    const auto& x = gd.at(pre + "x");
    std::vector<float> y(p[0] * p[3]), dx(x.size());
    f32_gavgpool_scalar(p[0], p[1] * p[2], p[3], x.data(), y.data());
    check(pre + "y", y, gd.at(pre + "y"));
    f32_gavgpool_bwd_scalar(p[0], p[1] * p[2], p[3], gd.at(pre + "dy").data(), dx.data());
    check(pre + "dx", dx, gd.at(pre + "dx"));
  }
}

TEST_CASE("goldens: fully connected forward, input, weight and bias gradients") {
  const Goldens& gd = goldens();
  for (const std::string& name : gd.cases("fc")) {
    const std::string pre = "fc/" + name + "/";
    const auto p = gd.ints(pre + "geom");  // n, in, out
    const bool has_bias = gd.has(pre + "b");
    const auto& x = gd.at(pre + "x");
    const auto& w = gd.at(pre + "w");
    const auto& dy = gd.at(pre + "dy");
    std::vector<float> y(p[0] * p[2]), dx(x.size()), dw(w.size()), db(p[2]);
    f32_fc_scalar(p[0], p[1], p[2], x.data(), w.data(), has_bias ? gd.at(pre + "b").data() : nullptr,
                  y.data());
    check(pre + "y", y, gd.at(pre + "y"));
    f32_fc_bwd_data_scalar(p[0], p[1], p[2], dy.data(), w.data(), dx.data());
    check(pre + "dx", dx, gd.at(pre + "dx"));
    f32_fc_bwd_weights_scalar(p[0], p[1], p[2], x.data(), dy.data(), dw.data(),
                              has_bias ? db.data() : nullptr);
    check(pre + "dw", dw, gd.at(pre + "dw"));
    if (has_bias) check(pre + "db", db, gd.at(pre + "db"));
    // The runtime's mapping: FC gradients as a 1x1 convolution over 1x1 images.
    const f32_window_geometry g{p[0], 1, 1, p[1], 1, 1, p[2], 1, 1, 1, 1, 0, 0, 1};
    f32_conv2d_bwd_data(g, dy.data(), w.data(), dx.data());
    check(pre + "dx (as 1x1 conv)", dx, gd.at(pre + "dx"));
    f32_conv2d_bwd_weights(g, x.data(), dy.data(), dw.data(), has_bias ? db.data() : nullptr);
    check(pre + "dw (as 1x1 conv)", dw, gd.at(pre + "dw"));
    if (has_bias) check(pre + "db (as 1x1 conv)", db, gd.at(pre + "db"));
  }
}

TEST_CASE("goldens: softmax cross-entropy (mean over the batch) and its gradient") {
  const Goldens& gd = goldens();
  for (const std::string& name : gd.cases("xent")) {
    const std::string pre = "xent/" + name + "/";
    const auto p = gd.ints(pre + "geom");  // n, classes
    std::vector<int32_t> labels;
    for (size_t l : gd.ints(pre + "labels")) labels.push_back(static_cast<int32_t>(l));
    std::vector<float> loss(1), probs(p[0] * p[1]), dlogits(p[0] * p[1]);
    f32_softmax_xent_scalar(p[0], p[1], gd.at(pre + "logits").data(), labels.data(), loss.data(),
                            probs.data());
    check(pre + "loss", loss, gd.at(pre + "loss"));
    check(pre + "probs", probs, gd.at(pre + "probs"));
    f32_softmax_xent_bwd_scalar(p[0], p[1], probs.data(), labels.data(), dlogits.data());
    check(pre + "dlogits", dlogits, gd.at(pre + "dlogits"));
  }
}

TEST_CASE("goldens: SGD with momentum and weight decay, three steps") {
  const Goldens& gd = goldens();
  for (const std::string& name : gd.cases("sgd")) {
    const std::string pre = "sgd/" + name + "/";
    const auto& h = gd.at(pre + "hyper");  // lr, momentum, weight decay, steps
    std::vector<float> w = gd.at(pre + "w0"), v(w.size(), 0.0f);
    for (size_t t = 0; t < static_cast<size_t>(h[3]); t++) {
      f32_sgd_momentum_scalar(w.size(), h[0], h[1], h[2], w.data(),
                              gd.at(pre + "g" + std::to_string(t)).data(), v.data());
    }
    check(pre + "w", w, gd.at(pre + "w"));
    check(pre + "velocity", v, gd.at(pre + "velocity"));
  }
}

namespace {

using AdamKernel = decltype(&f32_adam_scalar);

// Runs a case's steps from w0 and zero moments with `kernel`: w, m, v.
std::vector<std::vector<float>> adam_steps(const Goldens& gd, const std::string& pre, AdamKernel kernel) {
  const auto& h = gd.at(pre + "hyper");  // lr, beta1, beta2, eps, weight decay, steps
  std::vector<float> w = gd.at(pre + "w0"), m(w.size(), 0.0f), v(w.size(), 0.0f);
  for (uint32_t t = 0; t < static_cast<uint32_t>(h[5]); t++) {
    kernel(w.size(), h[0], h[1], h[2], h[3], h[4], t + 1, w.data(), gd.at(pre + "g" + std::to_string(t)).data(),
           m.data(), v.data());
  }
  return {w, m, v};
}

void check_adam_case(const Goldens& gd, const std::string& pre, AdamKernel kernel) {
  const auto wmv = adam_steps(gd, pre, kernel);
  check(pre + "w", wmv[0], gd.at(pre + "w"));
  check(pre + "m", wmv[1], gd.at(pre + "m"));
  check(pre + "v", wmv[2], gd.at(pre + "v"));
}

}  // namespace

TEST_CASE("goldens: Adam with weight decay, three steps") {
  const Goldens& gd = goldens();
  for (const std::string& name : gd.cases("adam")) check_adam_case(gd, "adam/" + name + "/", f32_adam_scalar);
}

TEST_CASE("goldens: AdamW (decoupled weight decay), three steps, Adam's L2 decay ends elsewhere") {
  const Goldens& gd = goldens();
  for (const std::string& name : gd.cases("adamw")) {
    const std::string pre = "adamw/" + name + "/";
    check_adam_case(gd, pre, f32_adamw_scalar);
    // The cases' decay is large enough that coupling it to the gradient moves w measurably.
    const std::vector<float> coupled = adam_steps(gd, pre, f32_adam_scalar)[0];
    const std::vector<float>& want = gd.at(pre + "w");
    double worst = 0;
    for (size_t i = 0; i < want.size(); ++i) worst = std::max(worst, std::fabs(double{coupled[i]} - want[i]));
    CHECK(worst > 1e-3);
  }
}
