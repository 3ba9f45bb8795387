#!/usr/bin/python3
"""One PyTorch (Debian's python3-torch) training step, measured like ours: SGD with momentum,
synthetic 224x224 images, median step time after warm-up, and this process's peak RSS (VmHWM).
    torch_step.py MODEL BATCH THREADS [--segments N]   (N > 0: checkpoint_sequential)
Prints one line: `torch MODEL bBATCH segments=N step_ms=... peak_rss_mib=...`."""
import argparse
import statistics
import time

import torch
import torchvision
from torch.utils.checkpoint import checkpoint_sequential


def peak_rss_mib():
    with open('/proc/self/status') as f:
        for line in f:
            if line.startswith('VmHWM:'):
                return int(line.split()[1]) / 1024.0
    return 0.0


def sequential(name):
    """The model as an nn.Sequential, so checkpoint_sequential can split it."""
    if name == 'resnet18':
        m = torchvision.models.resnet18(num_classes=1000)
        return torch.nn.Sequential(m.conv1, m.bn1, m.relu, m.maxpool, m.layer1, m.layer2, m.layer3,
                                   m.layer4, m.avgpool, torch.nn.Flatten(), m.fc)
    if name == 'mobilenet_v1':
        def block(cin, cout, stride):
            return torch.nn.Sequential(
                torch.nn.Conv2d(cin, cin, 3, stride, 1, groups=cin, bias=False), torch.nn.BatchNorm2d(cin),
                torch.nn.ReLU(inplace=True), torch.nn.Conv2d(cin, cout, 1, bias=False),
                torch.nn.BatchNorm2d(cout), torch.nn.ReLU(inplace=True))
        cfg = [(32, 64, 1), (64, 128, 2), (128, 128, 1), (128, 256, 2), (256, 256, 1), (256, 512, 2)] + \
              [(512, 512, 1)] * 5 + [(512, 1024, 2), (1024, 1024, 1)]
        layers = [torch.nn.Conv2d(3, 32, 3, 2, 1, bias=False), torch.nn.BatchNorm2d(32), torch.nn.ReLU(inplace=True)]
        layers += [block(*c) for c in cfg]
        layers += [torch.nn.AdaptiveAvgPool2d(1), torch.nn.Flatten(), torch.nn.Linear(1024, 1000)]
        return torch.nn.Sequential(*layers)
    raise SystemExit(f'torch_step.py: unknown model {name}')


def main():
    p = argparse.ArgumentParser()
    p.add_argument('model')
    p.add_argument('batch', type=int)
    p.add_argument('threads', type=int)
    p.add_argument('--segments', type=int, default=0)
    p.add_argument('--steps', type=int, default=3)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    model = sequential(a.model).train()
    if a.segments:  # a segment may start at an in-place ReLU, which checkpointing cannot replay
        for m in model.modules():
            if isinstance(m, torch.nn.ReLU):
                m.inplace = False
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    x = torch.randn(a.batch, 3, 224, 224)
    if a.segments:
        x.requires_grad_(True)  # checkpoint_sequential needs a grad-carrying input
    y = torch.randint(0, 1000, (a.batch,))
    times = []
    for _ in range(a.steps + 1):
        start = time.perf_counter()
        opt.zero_grad(set_to_none=True)
        out = checkpoint_sequential(model, a.segments, x) if a.segments else model(x)
        torch.nn.functional.cross_entropy(out, y).backward()
        opt.step()
        times.append(time.perf_counter() - start)
    print(f'torch {a.model} b{a.batch} segments={a.segments} step_ms={1e3 * statistics.median(times[1:]):.0f} '
          f'peak_rss_mib={peak_rss_mib():.0f}')


if __name__ == '__main__':
    main()
