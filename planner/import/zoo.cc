#include "import/zoo.h"

#include <stdexcept>

#include "graph/model_builder.h"

namespace edgetrain::planner {

namespace {

// Layer names follow torchvision's module paths where torchvision has the model, so a state
// dict maps onto our parameters by name. Dropout (MobileNetV2's classifier) is left out: it has
// no parameters and the runtime has no random masks.

// The first end-to-end model: a small CNN for Fashion-MNIST (28x28x1, 10 classes).
Graph fashion_cnn(uint32_t batch, uint32_t image, uint32_t classes) {
  ModelBuilder b("fashion_cnn", batch, image, image, 1, classes);
  TensorId x = b.conv("conv1", b.input(), 16, 3, 1, 1);
  x = b.relu("relu1", b.batchnorm("bn1", x));
  x = b.maxpool("pool1", x, 2, 2, 0);
  x = b.conv("conv2", x, 32, 3, 1, 1);
  x = b.relu("relu2", b.batchnorm("bn2", x));
  x = b.global_avgpool("gap", x);
  return b.finish(b.fc("fc", x, classes));
}

// A Fashion-MNIST CNN that reaches ~91% test accuracy with SGD+momentum in a few epochs (the
// classic two conv blocks and a hidden FC layer; fashion_cnn stays as the pinned small one).
Graph fashion_net(uint32_t batch, uint32_t image, uint32_t classes) {
  ModelBuilder b("fashion_net", batch, image, image, 1, classes);
  TensorId x = b.conv("conv1", b.input(), 32, 3, 1, 1);
  x = b.maxpool("pool1", b.relu("relu1", b.batchnorm("bn1", x)), 2, 2, 0);
  x = b.conv("conv2", x, 64, 3, 1, 1);
  x = b.maxpool("pool2", b.relu("relu2", b.batchnorm("bn2", x)), 2, 2, 0);
  x = b.relu("relu3", b.fc("fc1", x, 128));  // flattens [7,7,64]
  return b.finish(b.fc("fc2", x, classes));
}

// conv -> BN -> ReLU (or ReLU6), the unit both MobileNets are made of.
TensorId conv_bn_act(ModelBuilder& b, const std::string& name, TensorId x, uint32_t out_c,
                     uint32_t kernel, uint32_t stride, uint32_t groups, bool relu6) {
  x = b.conv(name + ".0", x, out_c, kernel, stride, kernel / 2, groups);
  x = b.batchnorm(name + ".1", x);
  return relu6 ? b.relu6(name + ".2", x) : b.relu(name + ".2", x);
}

// Howard et al. 2017, width 1.0: a 3x3 stem, then 13 depthwise-separable pairs.
Graph mobilenet_v1(uint32_t batch, uint32_t image, uint32_t classes) {
  ModelBuilder b("mobilenet_v1", batch, image, image, 3, classes);
  TensorId x = conv_bn_act(b, "features.0", b.input(), 32, 3, 2, 1, false);
  struct Pair { uint32_t out_c, stride; };
  const Pair pairs[] = {{64, 1},  {128, 2}, {128, 1}, {256, 2}, {256, 1}, {512, 2}, {512, 1},
                        {512, 1}, {512, 1}, {512, 1}, {512, 1}, {1024, 2}, {1024, 1}};
  int i = 1;
  for (const Pair& p : pairs) {
    const uint32_t in_c = b.shape(x)[3];
    const std::string n = "features." + std::to_string(i++);
    x = conv_bn_act(b, n + ".dw", x, in_c, 3, p.stride, in_c, false);
    x = conv_bn_act(b, n + ".pw", x, p.out_c, 1, 1, 1, false);
  }
  x = b.global_avgpool("avgpool", x);
  return b.finish(b.fc("fc", x, classes));
}

// Sandler et al. 2018, as torchvision.models.mobilenet_v2 (3,504,872 parameters at 1000 classes).
Graph mobilenet_v2(uint32_t batch, uint32_t image, uint32_t classes) {
  ModelBuilder b("mobilenet_v2", batch, image, image, 3, classes);
  TensorId x = conv_bn_act(b, "features.0", b.input(), 32, 3, 2, 1, true);
  struct Setting { uint32_t expand, out_c, repeat, stride; };
  const Setting settings[] = {{1, 16, 1, 1},  {6, 24, 2, 2},  {6, 32, 3, 2}, {6, 64, 4, 2},
                              {6, 96, 3, 1},  {6, 160, 3, 2}, {6, 320, 1, 1}};
  int block = 1;
  for (const Setting& s : settings) {
    for (uint32_t r = 0; r < s.repeat; ++r) {
      const uint32_t in_c = b.shape(x)[3], stride = r == 0 ? s.stride : 1;
      const uint32_t hidden = in_c * s.expand;
      const std::string n = "features." + std::to_string(block++) + ".conv";
      TensorId y = x;
      int layer = 0;
      if (s.expand != 1) y = conv_bn_act(b, n + "." + std::to_string(layer++), y, hidden, 1, 1, 1, true);
      y = conv_bn_act(b, n + "." + std::to_string(layer++), y, hidden, 3, stride, hidden, true);
      y = b.conv(n + "." + std::to_string(layer), y, s.out_c, 1, 1, 0);
      y = b.batchnorm(n + "." + std::to_string(layer + 1), y);
      x = stride == 1 && in_c == s.out_c ? b.add(n + ".add", x, y) : y;
    }
  }
  x = conv_bn_act(b, "features.18", x, 1280, 1, 1, 1, true);
  x = b.global_avgpool("avgpool", x);
  return b.finish(b.fc("classifier.1", x, classes));
}

// He et al. 2016, BasicBlock ResNets as torchvision.models.resnet18/34.
Graph resnet(const char* model, const uint32_t (&blocks)[4], uint32_t batch, uint32_t image,
             uint32_t classes) {
  ModelBuilder b(model, batch, image, image, 3, classes);
  TensorId x = b.conv("conv1", b.input(), 64, 7, 2, 3);
  x = b.relu("relu", b.batchnorm("bn1", x));
  x = b.maxpool("maxpool", x, 3, 2, 1);
  for (uint32_t layer = 0; layer < 4; ++layer) {
    const uint32_t planes = 64u << layer;
    for (uint32_t i = 0; i < blocks[layer]; ++i) {
      const uint32_t stride = layer > 0 && i == 0 ? 2 : 1;
      const std::string n = "layer" + std::to_string(layer + 1) + "." + std::to_string(i);
      TensorId y = b.relu(n + ".relu1", b.batchnorm(n + ".bn1", b.conv(n + ".conv1", x, planes, 3, stride, 1)));
      y = b.batchnorm(n + ".bn2", b.conv(n + ".conv2", y, planes, 3, 1, 1));
      TensorId skip = x;
      if (stride != 1 || b.shape(x)[3] != planes) {
        skip = b.batchnorm(n + ".downsample.1", b.conv(n + ".downsample.0", x, planes, 1, stride, 0));
      }
      x = b.relu(n + ".relu2", b.add(n + ".add", y, skip));
    }
  }
  x = b.global_avgpool("avgpool", x);
  return b.finish(b.fc("fc", x, classes));
}

Graph resnet18(uint32_t batch, uint32_t image, uint32_t classes) {
  return resnet("resnet18", {2, 2, 2, 2}, batch, image, classes);
}
Graph resnet34(uint32_t batch, uint32_t image, uint32_t classes) {
  return resnet("resnet34", {3, 4, 6, 3}, batch, image, classes);
}

struct ZooEntry {
  const char* name;
  Graph (*build)(uint32_t batch, uint32_t image, uint32_t classes);
  uint32_t image, classes;   // defaults
  uint32_t min_image;        // smallest input the strides allow
};

constexpr ZooEntry kZoo[] = {
    {"fashion_cnn", fashion_cnn, 28, 10, 2},
    {"fashion_net", fashion_net, 28, 10, 4},
    {"mobilenet_v1", mobilenet_v1, 224, 1000, 32},
    {"mobilenet_v2", mobilenet_v2, 224, 1000, 32},
    {"resnet18", resnet18, 224, 1000, 32},
    {"resnet34", resnet34, 224, 1000, 32},
};

}  // namespace

std::vector<std::string> zoo_models() {
  std::vector<std::string> names;
  for (const ZooEntry& e : kZoo) names.emplace_back(e.name);
  return names;
}

Graph build_zoo_model(const std::string& name, uint32_t batch, const ZooOptions& options) {
  for (const ZooEntry& e : kZoo) {
    if (name != e.name) continue;
    const uint32_t image = options.image ? options.image : e.image;
    const uint32_t classes = options.classes ? options.classes : e.classes;
    if (image < e.min_image || image > 4096) {
      throw std::invalid_argument(name + " needs an input size in [" + std::to_string(e.min_image) +
                                  ", 4096], got " + std::to_string(image));
    }
    if (classes < 2 || classes > 100000) {
      throw std::invalid_argument("classes must be in [2, 100000], got " + std::to_string(classes));
    }
    return e.build(batch, image, classes);
  }
  std::string known;
  for (const ZooEntry& e : kZoo) known += (known.empty() ? "" : ", ") + std::string(e.name);
  throw std::invalid_argument("unknown model '" + name + "' (known: " + known + ")");
}

}  // namespace edgetrain::planner
