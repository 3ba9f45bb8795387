#!/usr/bin/python3
"""Writes optimizer_goldens.bin: PyTorch's weights after N training steps of resnet_tiny (the
model, weights and batch of make_onnx_goldens.py, whose committed resnet_tiny.onnx this script
checks it rebuilds exactly) under torch.optim.Adam and torch.optim.AdamW.

Run with Debian's python3-torch (1.13) and python3-onnx:
    /usr/bin/python3 tests/golden/onnx/make_optimizer_goldens.py
The test (tests/onnx/optimizer_onnx_test.cc) reads the committed file and never imports torch.

Each step trains on the same batch (make_onnx_goldens.py's <model>/input_u8 and labels) in
float64 from the float32 initial weights, so the goldens are exact to ~1e-15 and the test
measures our float32 error. Records, in ONNX layout:
  resnet_tiny_<opt>/hyper [lr, beta1, beta2, eps, weight_decay, steps]
  resnet_tiny_<opt>/loss [steps]             the loss of each step (before its update)
  resnet_tiny_<opt>/w/<initializer>          parameters after the last step
  resnet_tiny_<opt>/running/<initializer>    BatchNorm running statistics after it
File format: as onnx_goldens.bin (make_onnx_goldens.py).
"""
import os
import tempfile

import onnx
import torch
import torch.nn as nn

import make_onnx_goldens as base
from make_onnx_goldens import BATCH, CLASSES, HERE, IMAGE, MEAN, STD, ResNetTiny, find_source, put

STEPS = 5
# tag, optimizer, lr, betas, eps, weight decay (L2 for Adam, decoupled for AdamW). Adam's L2 decay
# is small on purpose: g + wd * w can cancel to a few eps, where Adam's quotient turns rounding
# into steps; at wd 1e-2 one weight does (4.8e-7 of a 3.9e-4 gradient), and PyTorch's own float32
# run ends 7.9e-6 (lr 1e-3; 5.2e-5 at lr 1e-2) of max|w| from its float64 one, against 9.8e-7 at
# 5e-4. AdamW's decay never meets the gradient: its float32 run is 7.6e-7 off at wd 1e-1.
RUNS = [
    ("adam", torch.optim.Adam, 1e-3, (0.9, 0.999), 1e-8, 5e-4),
    ("adamw", torch.optim.AdamW, 1e-3, (0.9, 0.999), 1e-8, 1e-1),
]


def trained(name, make_model, seed, tag, optimizer, lr, betas, eps, wd):
    model = base.seeded_model(make_model, seed)  # as make_onnx_goldens.golden() builds it
    with tempfile.TemporaryDirectory() as tmp:  # exporting traces a training forward: BatchNorm statistics move
        base.export(model, os.path.join(tmp, name + ".onnx"))
    m = onnx.load(os.path.join(HERE, name + ".onnx"))  # the committed file
    sources = {init.name: find_source(model, init) for init in m.graph.initializer}  # raises if not the same

    gen = torch.Generator().manual_seed(seed + 1)
    images = torch.randint(0, 256, (BATCH, IMAGE, IMAGE, 3), generator=gen, dtype=torch.uint8)
    labels = torch.randint(0, CLASSES, (BATCH,), generator=gen)
    x = ((images.to(torch.float32) / 255.0 - MEAN) / STD).permute(0, 3, 1, 2).contiguous().double()
    model = model.double().train()
    opt = optimizer(model.parameters(), lr=lr, betas=betas, eps=eps, weight_decay=wd)
    losses = []
    for _ in range(STEPS):
        opt.zero_grad()
        loss = nn.functional.cross_entropy(model(x), labels)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    tag = f"{name}_{tag}"
    put(f"{tag}/hyper", [lr, betas[0], betas[1], eps, wd, STEPS])
    put(f"{tag}/loss", losses)
    tensors, buffers = dict(model.named_parameters()), dict(model.named_buffers())
    for init, (src, transposed) in sources.items():
        if src in tensors:
            w = tensors[src].detach()
            put(f"{tag}/w/{init}", w.T if transposed else w)
        elif "running" in src:
            put(f"{tag}/running/{init}", buffers[src])
    print(f"{tag}: losses {', '.join(f'{v:.6f}' for v in losses)}")


for run in RUNS:
    trained("resnet_tiny", ResNetTiny, 12, *run)
base.write_goldens(os.path.join(HERE, "optimizer_goldens.bin"))
