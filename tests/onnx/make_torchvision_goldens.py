#!/usr/bin/env python3
"""PyTorch's one training step of the committed torchvision exports, for torchvision_test.cc.

    /usr/bin/python3 tests/onnx/make_torchvision_goldens.py

For each model of export_torchvision.py (its training export at opset 13, the file the test
imports), rebuilt with the same seed and so the same weights as the file: one step in float64 on
a fixed batch of 4 byte images (normalised as our planner does for 3-channel input: ImageNet's
mean and std) -- the loss, every parameter's gradient, and every parameter and BatchNorm running
statistic after torch.optim.SGD(lr 0.05, momentum 0.9, weight decay
1e-4). Dropout is evaluated with its ratio set to 0 (ours draws other masks than PyTorch's RNG).
Written to tests/golden/onnx/torchvision/goldens.bin in make_onnx_goldens.py's format, in our
layout (conv weights [out][kh][kw][in/groups], the rest as PyTorch's) and keyed by our tensor
names, which are PyTorch's where the training export kept them (the runtime test reads them
through the C++ API, which has no ONNX layouts):
  <model>/input_u8 [N,H,W,C], <model>/labels [N], <model>/loss [1],
  <model>/grad/<name>, <model>/after/<name> (a parameter after the step), <model>/running/<name>

    /usr/bin/python3 tests/onnx/make_torchvision_goldens.py --float32

writes nothing: it prints, per model, how far PyTorch's own float32 gradients are from the float64
ones by the tests' measure (max |diff| / max |ref| per tensor), the worst tensors first -- what
float32 arithmetic itself allows on these weights.
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
import make_onnx_goldens as g  # noqa: E402  (put, write_goldens, MEAN, STD)

BATCH, IMAGE, CLASSES = 8, 32, 10
LR, MOMENTUM, DECAY = 0.05, 0.9, 1e-4
OUT = os.path.join(HERE, "..", "golden", "onnx", "torchvision")


def model_and_batch(name, make):
    """The model with the file's weights (dropout at ratio 0) and the fixed batch."""
    m = onnx.load(os.path.join(OUT, f"{name}-train-13.onnx"))
    # Both sides start from the file's values (a training export's trace may have moved the
    # running statistics it saved).
    torch.manual_seed(0)
    model = make()
    model.load_state_dict(_state_from_file(model, m))
    names = set(model.state_dict())
    missing = [i.name for i in m.graph.initializer if i.name not in names]
    if missing:
        raise SystemExit(f"{name}: initializers without PyTorch's names: {missing[:3]}")
    for mod in model.modules():
        if isinstance(mod, nn.Dropout):
            mod.p = 0.0
    gen = torch.Generator().manual_seed(1)
    images = torch.randint(0, 256, (BATCH, IMAGE, IMAGE, 3), generator=gen, dtype=torch.uint8)
    labels = torch.randint(0, CLASSES, (BATCH,), generator=gen)
    x = ((images.to(torch.float32) / 255.0 - g.MEAN) / g.STD).permute(0, 3, 1, 2).contiguous()
    return model, images, labels, x


def golden(name, make):
    model, images, labels, x = model_and_batch(name, make)
    model = model.double().train()
    opt = torch.optim.SGD(model.parameters(), lr=LR, momentum=MOMENTUM, weight_decay=DECAY)
    loss = nn.functional.cross_entropy(model(x.double()), labels)
    loss.backward()
    g.put(f"{name}/input_u8", images)
    g.put(f"{name}/labels", labels)
    g.put(f"{name}/loss", loss.reshape(1))
    params, buffers = dict(model.named_parameters()), dict(model.named_buffers())
    for key, p in params.items():
        g.put(f"{name}/grad/{key}", ours(p.grad))
    opt.step()
    for key, p in params.items():
        g.put(f"{name}/after/{key}", ours(p))
    for key, b in buffers.items():
        if "running" in key:
            g.put(f"{name}/running/{key}", b)
    print(f"{name}: loss {loss.item():.6f}, {len(params)} parameters")


def ours(t):
    """Our layout of a PyTorch parameter: conv weights OIHW -> [O][KH][KW][I]."""
    return t.permute(0, 2, 3, 1) if t.dim() == 4 else t


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


def float32_gradients(name, make):
    grads = {}
    for dtype in (torch.float64, torch.float32):
        model, _, labels, x = model_and_batch(name, make)
        model = model.to(dtype).train()
        nn.functional.cross_entropy(model(x.to(dtype)), labels).backward()
        grads[dtype] = {k: p.grad.double() for k, p in model.named_parameters()}
    rel = sorted(((float((grads[torch.float32][k] - r).abs().max() / r.abs().max()), k, float(r.abs().max()))
                  for k, r in grads[torch.float64].items()), reverse=True)
    zero = [r for r in rel if r[2] < 1e-12]  # a BatchNorm's bias ahead of another BatchNorm: 0
    over = [r for r in rel if r[0] > 1e-4 and r[2] >= 1e-12]
    print(f"{name}: PyTorch float32 vs float64, {len(rel)} gradients: {len(zero)} zero in float64 "
          f"(max |ref| < 1e-12; float32 max |grad| {max([0.0] + [float(grads[torch.float32][k].abs().max()) for _, k, _ in zero]):.2g}), "
          f"{len(over)} others over 1e-4 relative")
    for r, k, ref in over[:6]:
        print(f"  {k}: relative {r:.3g} of max |ref| {ref:.3g}")


def main():
    if sys.argv[1:] == ["--float32"]:
        for name, make in export_torchvision.NARROW.items():
            float32_gradients(name, make)
        return
    for name, make in export_torchvision.NARROW.items():
        golden(name, make)
    g.write_goldens(os.path.join(OUT, "goldens.bin"))


if __name__ == "__main__":
    main()
