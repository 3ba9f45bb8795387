#!/usr/bin/env python3
"""PyTorch's one training step of the committed torchvision exports, for torchvision_test.cc.

    /usr/bin/python3 tests/onnx/make_torchvision_goldens.py

For each model of export_torchvision.py (its training export at opset 13, the file the test
imports), rebuilt with the same seed and so the same weights as the file: one step in float64 on
a fixed batch of 4 byte images (normalised as our planner does for 3-channel input: ImageNet's
mean and std) -- the loss, every parameter's gradient, and every parameter and BatchNorm running
statistic after torch.optim.SGD(lr 0.05, momentum 0.9, weight decay
1e-4). Dropout is evaluated with its ratio set to 0 (ours draws other masks than PyTorch's RNG).
Written to tests/golden/onnx/torchvision/goldens.bin in make_onnx_goldens.py's format, each
initializer's name keying its records in ONNX layout:
  <model>/input_u8 [N,H,W,C], <model>/labels [N], <model>/loss [1],
  <model>/grad/<init>, <model>/after/<init> (a parameter after the step), <model>/running/<init>
"""
import os
import sys

import onnx
import torch
from torch import nn

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "golden", "onnx"))
import export_torchvision  # noqa: E402
import make_onnx_goldens as g  # noqa: E402  (find_source, put, write_goldens)

BATCH, IMAGE, CLASSES = 4, 32, 10
LR, MOMENTUM, DECAY = 0.05, 0.9, 1e-4
OUT = os.path.join(HERE, "..", "golden", "onnx", "torchvision")


def golden(name, make):
    m = onnx.load(os.path.join(OUT, f"{name}-train-13.onnx"))
    # Both sides start from the file's values (a training export's trace may have moved the
    # running statistics it saved).
    torch.manual_seed(0)
    model = make()
    model.load_state_dict(_state_from_file(model, m))
    # By name where the export kept PyTorch's (BatchNorm vectors at their defaults are equal in
    # value, so matching by value would confuse them), else by value.
    names = set(model.state_dict())
    sources = {i.name: (i.name, False) if i.name in names else g.find_source(model, i) for i in m.graph.initializer}
    for mod in model.modules():
        if isinstance(mod, nn.Dropout):
            mod.p = 0.0
    gen = torch.Generator().manual_seed(1)
    images = torch.randint(0, 256, (BATCH, IMAGE, IMAGE, 3), generator=gen, dtype=torch.uint8)
    labels = torch.randint(0, CLASSES, (BATCH,), generator=gen)
    x = ((images.to(torch.float32) / 255.0 - g.MEAN) / g.STD).permute(0, 3, 1, 2).contiguous()
    model = model.double().train()
    opt = torch.optim.SGD(model.parameters(), lr=LR, momentum=MOMENTUM, weight_decay=DECAY)
    loss = nn.functional.cross_entropy(model(x.double()), labels)
    loss.backward()
    g.put(f"{name}/input_u8", images)
    g.put(f"{name}/labels", labels)
    g.put(f"{name}/loss", loss.reshape(1))
    params, buffers = dict(model.named_parameters()), dict(model.named_buffers())
    for init, (src, transposed) in sources.items():
        if src in params:
            g.put(f"{name}/grad/{init}", params[src].grad.T if transposed else params[src].grad)
    opt.step()
    for init, (src, transposed) in sources.items():
        if src in params:
            g.put(f"{name}/after/{init}", params[src].T if transposed else params[src])
        elif "running" in src:
            g.put(f"{name}/running/{init}", buffers[src])
    print(f"{name}: loss {loss.item():.6f}, {len(sources)} initializers")


def _state_from_file(model, m):
    """The module's state with every tensor the file holds taken from the file (matched by name
    where the exporter kept PyTorch's names, else by shape and order)."""
    from onnx import numpy_helper
    inits = {i.name: torch.from_numpy(numpy_helper.to_array(i).copy()) for i in m.graph.initializer}
    state = model.state_dict()
    for key in state:
        if key in inits and inits[key].shape == state[key].shape:
            state[key] = inits[key].to(state[key].dtype)
    return state


def main():
    for name, make in export_torchvision.NARROW.items():
        golden(name, make)
    g.write_goldens(os.path.join(OUT, "goldens.bin"))


if __name__ == "__main__":
    main()
