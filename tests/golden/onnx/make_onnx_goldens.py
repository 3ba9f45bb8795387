#!/usr/bin/python3
"""Writes the ONNX import goldens: small PyTorch models exported to ONNX, and PyTorch's loss,
gradients and BatchNorm running statistics after one training step on a fixed batch.

Run with Debian's python3-torch (1.13) and python3-onnx:
    /usr/bin/python3 tests/golden/onnx/make_onnx_goldens.py
The tests (tests/onnx/) read the committed files and never import torch or onnx.

Models (input 3x32x32, batch 4, 10 classes):
  mobilenet_v2_tiny  stem conv-BN-ReLU6, three inverted residual blocks (depthwise, expansion,
                     residual adds), 1x1 head, GlobalAveragePool, Flatten, Gemm
  resnet_tiny        stem conv-BN-ReLU, MaxPool 3x3/2, two basic blocks (one with a strided 1x1
                     downsample), mean over H and W (ReduceMean), Gemm
  plain_cnn          conv (bias)-ReLU-MaxPool 2x2, Flatten of [8, 8, 8] (ONNX's CHW feature order),
                     Linear without bias (MatMul)
Bad files for the error tests: truncated.onnx, opset7.onnx, unsupported_op.onnx (LeakyRelu),
dynamic_hw.onnx (dynamic H and W), dilated.onnx (Conv with dilation 2).
Seeds of the ONNX parser's fuzz target (tests/fuzz/corpus_onnx/): two tiny models (< 1 KB each)
that between them use every supported op.

The images are bytes; the model sees (x / 255 - mean) / std per channel with ImageNet's mean
0.485,0.456,0.406 and std 0.229,0.224,0.225, the normalisation our planner gives 3-channel inputs
by default (planner/graph/model_builder.h). PyTorch's step is computed in float64
from the float32 weights, so the goldens are exact to ~1e-15 and the tests measure our float32
error. Each ONNX initializer's name keys its golden tensors, in ONNX layout:
  <model>/input_u8 [N,H,W,C], <model>/labels [N], <model>/loss [1],
  <model>/grad/<initializer>, <model>/running/<initializer> (BatchNorm statistics after the step)
Fine-tuning (plan --freeze): resnet_tiny_frozen is resnet_tiny (same file, weights and batch)
with conv1, bn1 and layer1 frozen as PyTorch fine-tunes: requires_grad=False on their
parameters and eval() on their BatchNorms (running statistics, none updated). Its records hold
gradients of the trainable parameters only, and the running statistics of every BatchNorm.

File format of onnx_goldens.bin (little-endian): magic "EGLD", u32 version (1), u32 record count,
then per record: u32 name length, name bytes, u32 rank, u32 dims[rank], f32 data (row-major).
"""
import os
import struct

import numpy as np
import onnx
from onnx import numpy_helper
import torch
import torch.nn as nn

HERE = os.path.dirname(os.path.abspath(__file__))
MEAN, STD = torch.tensor([0.485, 0.456, 0.406]), torch.tensor([0.229, 0.224, 0.225])  # per channel, NHWC
BATCH, CLASSES, IMAGE = 4, 10, 32
records = []


def put(name, t):
    t = torch.as_tensor(t).detach().to(torch.float32).contiguous()
    records.append((name, list(t.shape), t.numpy().tobytes()))


def cbr(cin, cout, k, s, groups=1, act=nn.ReLU6):
    layers = [nn.Conv2d(cin, cout, k, s, k // 2, groups=groups, bias=False), nn.BatchNorm2d(cout)]
    return nn.Sequential(*layers, act()) if act else nn.Sequential(*layers)


class InvertedResidual(nn.Module):
    def __init__(self, cin, cout, stride, expand):
        super().__init__()
        hidden = cin * expand
        layers = [cbr(cin, hidden, 1, 1)] if expand != 1 else []
        layers += [cbr(hidden, hidden, 3, stride, groups=hidden), cbr(hidden, cout, 1, 1, act=None)]
        self.conv = nn.Sequential(*layers)
        self.residual = stride == 1 and cin == cout

    def forward(self, x):
        return x + self.conv(x) if self.residual else self.conv(x)


class MobileNetV2Tiny(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(cbr(3, 8, 3, 2), InvertedResidual(8, 8, 1, 1),
                                      InvertedResidual(8, 12, 2, 4), InvertedResidual(12, 12, 1, 4),
                                      cbr(12, 32, 1, 1))
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Linear(32, CLASSES)

    def forward(self, x):
        return self.classifier(torch.flatten(self.pool(self.features(x)), 1))


class BasicBlock(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.relu = nn.ReLU()
        self.downsample = None
        if stride != 1 or cin != cout:
            self.downsample = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        y = self.bn2(self.conv2(self.relu(self.bn1(self.conv1(x)))))
        return self.relu(y + (self.downsample(x) if self.downsample is not None else x))


class ResNetTiny(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 8, 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(8)
        self.relu = nn.ReLU()
        self.maxpool = nn.MaxPool2d(3, 2, 1)
        self.layer1 = BasicBlock(8, 8, 1)
        self.layer2 = BasicBlock(8, 16, 2)
        self.fc = nn.Linear(16, CLASSES)

    def forward(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer2(self.layer1(x))
        return self.fc(x.mean([2, 3]))


class PlainCnn(nn.Module):
    def __init__(self, act=nn.ReLU, dilation=1):
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3, 2, dilation, dilation=dilation, bias=True)
        self.act = act()
        self.pool = nn.MaxPool2d(2)
        self.fc = nn.Linear(8 * 8 * 8, CLASSES, bias=False)

    def forward(self, x):
        return self.fc(torch.flatten(self.pool(self.act(self.conv(x))), 1))


class TinyBn(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = cbr(1, 2, 3, 1)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(2, 2)

    def forward(self, x):
        return self.fc(torch.flatten(self.pool(self.body(x)), 1))


class TinyResidual(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 2, 1, bias=True)
        self.conv2 = nn.Conv2d(2, 2, 3, 1, 1, groups=2, bias=False)
        self.pool = nn.MaxPool2d(2)
        self.fc = nn.Linear(2, 2, bias=False)

    def forward(self, x):
        x = torch.relu(self.conv(x))
        return self.fc(self.pool(x + self.conv2(x)).mean([2, 3]))


def export(model, path, shape=(BATCH, 3, IMAGE, IMAGE), **kw):
    model.train()
    torch.onnx.export(model, torch.zeros(*shape), path, opset_version=14,
                      training=torch.onnx.TrainingMode.TRAINING, do_constant_folding=False,
                      input_names=["image"], output_names=["logits"], **kw)
    m = onnx.load(path)
    onnx.checker.check_model(m)
    return m


def find_source(model, init):
    """The PyTorch parameter or buffer an initializer holds, and whether it is transposed."""
    value = torch.from_numpy(numpy_helper.to_array(init).copy())
    for name, t in list(model.named_parameters()) + list(model.named_buffers()):
        if t.shape == value.shape and torch.equal(t.detach(), value):
            return name, False
        if t.dim() == 2 and t.shape == value.T.shape and torch.equal(t.detach().T, value):
            return name, True
    raise SystemExit(f"initializer {init.name} matches no parameter")


def seeded_model(make_model, seed):
    """The model of a golden before its export: `seed`'s weights, BatchNorm parameters and
    statistics away from their defaults."""
    torch.manual_seed(seed)
    model = make_model()
    for mod in model.modules():
        if isinstance(mod, nn.BatchNorm2d):
            mod.weight.data.uniform_(0.5, 1.5)
            mod.bias.data.uniform_(-0.2, 0.2)
            mod.running_mean.uniform_(-0.2, 0.2)
            mod.running_var.uniform_(0.5, 2.0)
    return model


def golden(name, make_model, seed, frozen=(), tag=None):
    """frozen: module-path prefixes to freeze; tag: the records' name (default: the model's)."""
    tag = tag or name
    model = seeded_model(make_model, seed)
    path = os.path.join(HERE, name + ".onnx")
    m = export(model, path)
    sources = {init.name: find_source(model, init) for init in m.graph.initializer}

    gen = torch.Generator().manual_seed(seed + 1)
    images = torch.randint(0, 256, (BATCH, IMAGE, IMAGE, 3), generator=gen, dtype=torch.uint8)
    labels = torch.randint(0, CLASSES, (BATCH,), generator=gen)
    x = ((images.to(torch.float32) / 255.0 - MEAN) / STD).permute(0, 3, 1, 2).contiguous()
    model = model.double().train()
    for module_path, mod in model.named_modules():
        if any(module_path == f or module_path.startswith(f + ".") for f in frozen):
            for p in mod.parameters(recurse=False):
                p.requires_grad_(False)
            if isinstance(mod, nn.BatchNorm2d):
                mod.eval()
    loss = nn.functional.cross_entropy(model(x.double()), labels)
    loss.backward()
    put(f"{tag}/input_u8", images)
    put(f"{tag}/labels", labels)
    put(f"{tag}/loss", loss.reshape(1))
    tensors = dict(model.named_parameters())
    buffers = dict(model.named_buffers())
    for init, (src, transposed) in sources.items():
        if src in tensors:
            g = tensors[src].grad
            if g is not None:  # None: frozen
                put(f"{tag}/grad/{init}", g.T if transposed else g)
        elif src in buffers and "running" in src:
            put(f"{tag}/running/{init}", buffers[src])
    print(f"{tag}: loss {loss.item():.6f}, {len(m.graph.initializer)} initializers, {os.path.getsize(path)} bytes")


def bad_files():
    torch.manual_seed(7)
    good = os.path.join(HERE, "resnet_tiny.onnx")
    data = open(good, "rb").read()
    open(os.path.join(HERE, "truncated.onnx"), "wb").write(data[: len(data) // 2])
    m = onnx.load(os.path.join(HERE, "mobilenet_v2_tiny.onnx"))
    m.opset_import[0].version = 7
    onnx.save(m, os.path.join(HERE, "opset7.onnx"))
    export(PlainCnn(act=nn.LeakyReLU), os.path.join(HERE, "unsupported_op.onnx"))
    export(PlainCnn(dilation=2), os.path.join(HERE, "dilated.onnx"))
    export(PlainCnn(), os.path.join(HERE, "dynamic_hw.onnx"),
           dynamic_axes={"image": {0: "batch", 2: "height", 3: "width"}})


def write_goldens(path):
    """Writes the records put() collected (format above) to path."""
    with open(path, "wb") as f:
        f.write(b"EGLD" + struct.pack("<II", 1, len(records)))
        for name, shape, data in records:
            f.write(struct.pack("<I", len(name)) + name.encode() + struct.pack("<I", len(shape)))
            f.write(struct.pack(f"<{len(shape)}I", *shape) + data)
    print(f"wrote {len(records)} records to {os.path.basename(path)}")


def main():
    golden("mobilenet_v2_tiny", MobileNetV2Tiny, 11)
    golden("resnet_tiny", ResNetTiny, 12)
    golden("plain_cnn", PlainCnn, 13)
    golden("resnet_tiny", ResNetTiny, 12, frozen=("conv1", "bn1", "layer1"), tag="resnet_tiny_frozen")
    bad_files()
    corpus = os.path.join(HERE, "..", "..", "fuzz", "corpus_onnx")
    os.makedirs(corpus, exist_ok=True)
    export(TinyBn(), os.path.join(corpus, "tiny_bn.onnx"), shape=(1, 1, 4, 4))
    export(TinyResidual(), os.path.join(corpus, "tiny_residual.onnx"), shape=(1, 1, 4, 4))

    write_goldens(os.path.join(HERE, "onnx_goldens.bin"))


if __name__ == "__main__":  # make_optimizer_goldens.py imports the models
    main()
