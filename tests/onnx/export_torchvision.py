#!/usr/bin/env python3
"""Exports torchvision's classification CNNs as a user would, for tests/onnx/torchvision_test.cc.

    /usr/bin/python3 tests/onnx/export_torchvision.py [OUT_DIR] [--full SIZE]
    /usr/bin/python3 tests/onnx/export_torchvision.py --fuzz-seeds

Needs Debian's python3-torch and python3-torchvision (1.13 / 0.14; toolchains/install-deps.sh
installs them); the tests never import torch. Each model is torchvision's own class, built with
random weights (seed 0) and num_classes=10, exported by torch.onnx.export at opsets 11, 13 and 17,
once in eval mode (the exporter folds BatchNorm into the convolutions) and once in training mode
(training=torch.onnx.TrainingMode.TRAINING, do_constant_folding=False), as
<model>-<eval|train>-<opset>.onnx.

The committed files (tests/golden/onnx/torchvision/) keep the repository small: the same
torchvision classes and blocks at reduced widths and depths, 32x32 input (their graphs hold the
same ONNX ops in the same patterns as the full models). --full SIZE exports the full-size models
at SIZExSIZE instead (FULL: what the README's table plans at 224; not committed: ResNet-18
alone is 45 MB); where torch.onnx.export itself fails, it writes the reason to <file>.failed.
--fuzz-seeds writes tiny models (< 10 KB) holding the same ops and exporter patterns (Identity,
folded shape arithmetic, channel split and shuffle, Concat of 2 and 6 inputs, squeeze-and-excitation,
clamp, Dropout, ceil-mode pooling, Pad + AveragePool) into tests/fuzz/corpus_onnx/, the ONNX fuzz target's seeds.
"""
import os
import sys

import torch
import torchvision
from torch import nn
from torchvision.models import inception, mobilenetv3, resnet, shufflenetv2, squeezenet

OPSETS = (11, 13, 17)


class NarrowResNet(resnet.ResNet):
    """ResNet-18's BasicBlock layout [2, 2, 2, 2] at 1/16 of its widths (4, 8, 16, 32)."""

    def __init__(self):
        super().__init__(resnet.BasicBlock, [2, 2, 2, 2], num_classes=10)
        self.conv1 = nn.Conv2d(3, 4, kernel_size=7, stride=2, padding=3, bias=False)
        self.bn1 = nn.BatchNorm2d(4)
        self.fc = nn.Linear(32, 10)

    def _make_layer(self, block, planes, blocks, stride=1, dilate=False):
        if planes == 64:
            self.inplanes = 4
        return super()._make_layer(block, planes // 16, blocks, stride, dilate)


def narrow_mobilenet_v2():
    setting = [[1, 8, 1, 1], [6, 8, 2, 2], [6, 16, 2, 2], [6, 16, 2, 2], [6, 24, 1, 1], [6, 32, 1, 2]]
    m = torchvision.models.MobileNetV2(num_classes=10, width_mult=0.25, inverted_residual_setting=setting)
    last = m.features[-1][0].in_channels
    m.features[-1] = torchvision.ops.Conv2dNormActivation(last, 32, kernel_size=1, activation_layer=nn.ReLU6)
    m.classifier[1] = nn.Linear(32, 10)
    return m


def narrow_mobilenet_v3_small():
    setting, _ = mobilenetv3._mobilenet_v3_conf("mobilenet_v3_small", width_mult=0.25)
    return mobilenetv3.MobileNetV3(setting[:7], 32, num_classes=10)  # 7 of its 11 blocks: every kind


def narrow_squeezenet1_1():
    m = torchvision.models.squeezenet1_1(num_classes=10)
    fire = squeezenet.Fire
    m.features = nn.Sequential(
        nn.Conv2d(3, 8, kernel_size=3, stride=2), nn.ReLU(inplace=True),
        nn.MaxPool2d(kernel_size=3, stride=2, ceil_mode=True),
        fire(8, 2, 8, 8), fire(16, 2, 8, 8),
        nn.MaxPool2d(kernel_size=3, stride=2, ceil_mode=True),
        fire(16, 4, 16, 16), fire(32, 4, 16, 16),
        nn.MaxPool2d(kernel_size=3, stride=2, ceil_mode=True),
        fire(32, 6, 24, 24), fire(48, 6, 24, 24), fire(48, 8, 32, 32), fire(64, 8, 32, 32))
    m.classifier[1] = nn.Conv2d(64, 10, kernel_size=1)
    return m


def narrow_shufflenet_v2():
    return shufflenetv2.ShuffleNetV2([2, 3, 2], [8, 16, 32, 64, 64], num_classes=10)


def narrow_densenet121():
    """DenseNet's dense blocks and transitions: a block of 6 layers (its last layer concatenates
    6 inputs, more than one Concat op takes) and one transition (Pad, AveragePool)."""
    return torchvision.models.DenseNet(growth_rate=4, block_config=(2, 6), num_init_features=8, bn_size=2,
                                       num_classes=10)


def narrow_conv(in_channels, out_channels, **kwargs):
    """inception_v3's BasicConv2d (conv, BatchNorm eps 1e-3, ReLU) at 1/16 of both widths."""
    return inception.BasicConv2d(in_channels // 16, out_channels // 16, **kwargs)


class InceptionBlocks(nn.Module):
    """inception_v3's InceptionA (F.avg_pool2d(x, 3, 1, 1): PyTorch exports Pad + AveragePool)
    and InceptionB blocks, torchvision's own classes at 1/16 widths, with its head. The whole
    inception_v3 is refused: its InceptionC/E blocks have 1x7 and 7x1 kernels (square only)."""

    def __init__(self):
        super().__init__()
        self.stem = narrow_conv(48, 128, kernel_size=3, stride=2)
        self.Mixed_5b = inception.InceptionA(128, pool_features=64, conv_block=narrow_conv)
        self.Mixed_6a = inception.InceptionB(288, conv_block=narrow_conv)
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.dropout = nn.Dropout(0.5)
        self.fc = nn.Linear(768 // 16, 10)

    def forward(self, x):
        x = self.Mixed_6a(self.Mixed_5b(self.stem(x)))
        return self.fc(torch.flatten(self.dropout(self.avgpool(x)), 1))


NARROW = {
    "resnet18": NarrowResNet,
    "mobilenet_v2": narrow_mobilenet_v2,
    "mobilenet_v3_small": narrow_mobilenet_v3_small,
    "squeezenet1_1": narrow_squeezenet1_1,
    "shufflenet_v2_x0_5": narrow_shufflenet_v2,
    "densenet121": narrow_densenet121,
    "inception_blocks": InceptionBlocks,
}

# --full: torchvision's classification CNNs at full width (the README's table).
FULL = ["resnet18", "resnet50", "resnext50_32x4d", "mobilenet_v2", "mobilenet_v3_small", "mobilenet_v3_large",
        "squeezenet1_1", "shufflenet_v2_x0_5", "mnasnet1_0", "densenet121", "googlenet", "regnet_y_400mf",
        "efficientnet_b0", "inception_v3"]


def full_model(name):
    if name in ("googlenet", "inception_v3"):  # no auxiliary classifiers: one logits output
        return getattr(torchvision.models, name)(num_classes=10, aux_logits=False, init_weights=True)
    return getattr(torchvision.models, name)(num_classes=10)


class FuzzSeed(nn.Module):
    """Every op and exporter pattern of the models above, at widths of 2 to 4 channels."""

    def __init__(self):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 4, 3, 1, 1, bias=False), nn.BatchNorm2d(4, eps=1e-3, momentum=0.01),
                                  nn.Hardswish())
        self.pool = nn.MaxPool2d(3, 2, ceil_mode=True)
        self.se = torchvision.ops.SqueezeExcitation(4, 2, scale_activation=nn.Hardsigmoid)
        self.branch = nn.Sequential(nn.Conv2d(2, 2, 1), nn.ReLU())
        self.avg = nn.AvgPool2d(2, 2, count_include_pad=False)
        self.avg_pad = nn.AvgPool2d(3, 1, 1)  # count_include_pad: Pad + AveragePool
        self.drop = nn.Dropout(0.2)
        self.fc = nn.Linear(12, 10)

    def forward(self, x):
        x = self.se(self.pool(self.stem(x)))
        a, b = x.chunk(2, dim=1)
        x = shufflenetv2.channel_shuffle(torch.cat((a, self.branch(b)), dim=1), 2)
        c, d = x.split([1, 3], dim=1)  # Split (chunk exports as Slice)
        x = torch.cat((d, c, d, c, d, c), dim=1)  # more inputs than one Concat op takes
        x = torch.clamp(x, 0, 6) * torch.sigmoid(x)
        return self.fc(self.drop(torch.flatten(self.avg(self.avg_pad(x)).mean([2, 3], keepdim=True), 1)))


def fuzz_seeds():
    corpus = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fuzz", "corpus_onnx")
    for mode in ("eval", "train"):
        for opset in (11, 17):
            torch.manual_seed(0)
            path = os.path.join(corpus, f"torchvision_ops-{mode}-{opset}.onnx")
            export(FuzzSeed(), 8, path, opset, mode)
            print(f"{path}: {os.path.getsize(path)} bytes", flush=True)


def export(model, size, path, opset, mode):
    x = torch.randn(2, 3, size, size)  # 2: BatchNorm trains on a 1x1 map (the plan's --batch replaces it)
    if mode == "eval":
        model.eval()
        torch.onnx.export(model, x, path, opset_version=opset)
    else:
        model.train()
        torch.onnx.export(model, x, path, opset_version=opset, training=torch.onnx.TrainingMode.TRAINING,
                          do_constant_folding=False)


def main():
    args = sys.argv[1:]
    if args == ["--fuzz-seeds"]:
        return fuzz_seeds()
    full = None
    if "--full" in args:
        i = args.index("--full")
        full = int(args[i + 1])
        del args[i:i + 2]
    out = args[0] if args else os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "golden", "onnx", "torchvision")
    os.makedirs(out, exist_ok=True)
    for name in FULL if full else NARROW:
        for mode in ("eval", "train"):
            for opset in OPSETS if full is None else (13,):
                torch.manual_seed(0)
                model = full_model(name) if full else NARROW[name]()
                path = os.path.join(out, f"{name}-{mode}-{opset}.onnx")
                try:
                    export(model, full or 32, path, opset, mode)
                except Exception as e:  # noqa: BLE001  (the exporter's own refusals, e.g. Bernoulli)
                    if not full:
                        raise
                    with open(path + ".failed", "w") as f:
                        f.write(str(e).splitlines()[0].split(". Please")[0][:160] + "\n")
                    print(f"{path}: torch.onnx.export failed: {str(e).splitlines()[0][:160]}", flush=True)
                    continue
                print(f"{path}: {os.path.getsize(path)} bytes", flush=True)


if __name__ == "__main__":
    main()
