#!/usr/bin/python3
"""Writes goldens.bin: PyTorch forward outputs and gradients for every training op the kernels
implement, on small shapes with tails (odd sizes, channels not multiples of 4/8, batch 1 and >1).

Run with Debian's python3-torch (1.13):  /usr/bin/python3 tests/golden/make_goldens.py
The tests read the committed goldens.bin and never import torch.

Everything is computed in float64 from float32-representable inputs, so a golden is the exact
answer to ~1e-16 and the tests measure the float32 kernels' own error. Tensors are stored NHWC
(activations) and [OC][KH][KW][IC/groups] (conv weights), the kernels' layouts.

File format (little-endian):
  magic "EGLD", u32 version (1), u32 record count, then per record:
  u32 name length, name bytes (ASCII, "<op>/<case>/<tensor>", no terminator),
  u32 rank, u32 dims[rank], f32 data[product of dims] (row-major).
Integer data (labels) and shape parameters are stored as exact float values.
"""
import os
import struct

import torch
import torch.nn.functional as F

torch.manual_seed(20240601)
DT = torch.float64
records = []


def put(name, t):
    t = torch.as_tensor(t).detach().to(torch.float32).contiguous()
    records.append((name, list(t.shape), t.numpy().tobytes()))


def rand(*shape, lo=-1.0, hi=1.0):
    # float32 values first, so the float kernels see exactly the golden's inputs
    return (torch.rand(*shape, dtype=torch.float32) * (hi - lo) + lo).to(DT)


def nhwc(t):
    return t.permute(0, 2, 3, 1)


# --- convolution: name, N, H, W, IC, OC, K, stride, pad, groups, bias ---
CONV = [
    ("1x1_s1_b2_bias", 2, 5, 7, 9, 7, 1, 1, 0, 1, True),
    ("1x1_s2_b1", 1, 7, 6, 5, 11, 1, 2, 0, 1, False),
    ("3x3_s1_p1_b2_bias", 2, 7, 5, 3, 5, 3, 1, 1, 1, True),
    ("3x3_s1_p1_b2_ic1", 2, 9, 9, 1, 16, 3, 1, 1, 1, False),
    ("3x3_s2_p1_b3", 3, 9, 7, 6, 13, 3, 2, 1, 1, False),
    ("3x3_s2_p1_b1_c17", 1, 8, 8, 17, 19, 3, 2, 1, 1, False),
    ("3x3_s1_p1_groups2", 2, 6, 5, 6, 10, 3, 1, 1, 2, False),
    ("7x7_s2_p3_b2", 2, 11, 9, 3, 5, 7, 2, 3, 1, False),
    ("dw3x3_s1_p1_b2", 2, 7, 6, 9, 9, 3, 1, 1, 9, False),
    ("dw3x3_s2_p1_b1", 1, 9, 8, 13, 13, 3, 2, 1, 13, False),
    ("dw3x3_s2_p1_b2_even", 2, 8, 8, 6, 6, 3, 2, 1, 6, True),
]
for name, n, h, w, ic, oc, k, s, p, g, has_bias in CONV:
    x = rand(n, ic, h, w).requires_grad_()
    wt = rand(oc, ic // g, k, k, lo=-0.5, hi=0.5).requires_grad_()
    b = rand(oc).requires_grad_() if has_bias else None
    y = F.conv2d(x, wt, b, stride=s, padding=p, groups=g)
    dy = rand(*y.shape)
    y.backward(dy)
    pre = f"conv/{name}/"
    put(pre + "geom", [n, h, w, ic, oc, k, k, s, p, g, y.shape[2], y.shape[3]])
    put(pre + "x", nhwc(x))
    put(pre + "w", wt.permute(0, 2, 3, 1))
    put(pre + "y", nhwc(y))
    put(pre + "dy", nhwc(dy))
    put(pre + "dx", nhwc(x.grad))
    put(pre + "dw", wt.grad.permute(0, 2, 3, 1))
    if has_bias:
        put(pre + "b", b)
        put(pre + "db", b.grad)

# --- batch norm: name, N, H, W, C (momentum 0.1, eps 1e-5) ---
for name, n, h, w, c in [("b2_5x3_c7", 2, 5, 3, 7), ("b1_4x4_c13", 1, 4, 4, 13),
                         ("b3_3x5_c4", 3, 3, 5, 4)]:
    x = rand(n, c, h, w, lo=-1.5, hi=2.5).requires_grad_()
    gamma = rand(c, lo=0.5, hi=1.5).requires_grad_()
    beta = rand(c).requires_grad_()
    rm0, rv0 = rand(c), rand(c, lo=0.5, hi=2.0)
    rm, rv = rm0.clone(), rv0.clone()
    y = F.batch_norm(x, rm, rv, gamma, beta, training=True, momentum=0.1, eps=1e-5)
    dy = rand(*y.shape)
    y.backward(dy)
    xd = x.detach()
    pre = f"bn/{name}/"
    put(pre + "geom", [n, h, w, c])
    put(pre + "x", nhwc(xd))
    put(pre + "gamma", gamma)
    put(pre + "beta", beta)
    put(pre + "y", nhwc(y))
    put(pre + "mean", xd.mean(dim=(0, 2, 3)))
    put(pre + "var", xd.var(dim=(0, 2, 3), unbiased=False))
    put(pre + "running_mean0", rm0)
    put(pre + "running_var0", rv0)
    put(pre + "running_mean", rm)
    put(pre + "running_var", rv)
    put(pre + "dy", nhwc(dy))
    put(pre + "dx", nhwc(x.grad))
    put(pre + "dgamma", gamma.grad)
    put(pre + "dbeta", beta.grad)
    put(pre + "y_eval", nhwc(F.batch_norm(xd, rm0, rv0, gamma.detach(), beta.detach(),
                                          training=False, eps=1e-5)))

# --- relu, relu6, add, residual fan-out: flat tensors of odd length ---
for name, count in [("n37", 37), ("n130", 130)]:
    x = rand(count, lo=-3.0, hi=9.0).requires_grad_()
    dy = rand(count)
    pre = f"act/{name}/"
    put(pre + "x", x)
    put(pre + "dy", dy)
    y = F.relu(x)
    y.backward(dy)
    put(pre + "relu", y)
    put(pre + "relu_dx", x.grad)
    x.grad = None
    y = F.relu6(x)
    y.backward(dy)
    put(pre + "relu6", y)
    put(pre + "relu6_dx", x.grad)
    x.grad = None
    b = rand(count)
    put(pre + "b", b)
    put(pre + "add", x.detach() + b)
    # Residual join y = x + relu(x): x fans out, so its gradient sums two contributions.
    y = x + F.relu(x)
    y.backward(dy)
    put(pre + "residual_dx", x.grad)

# --- max pool: name, N, H, W, C, K, stride, pad ---
for name, n, h, w, c, k, s, p in [("3x3_s2_p1_b2", 2, 9, 7, 5, 3, 2, 1),
                                   ("3x3_s2_p1_b1_even", 1, 8, 8, 3, 3, 2, 1),
                                   ("2x2_s2_b2", 2, 8, 6, 7, 2, 2, 0),
                                   ("2x2_s2_b1_odd", 1, 7, 7, 3, 2, 2, 0)]:
    x = rand(n, c, h, w).requires_grad_()
    y = F.max_pool2d(x, k, s, p)
    dy = rand(*y.shape)
    y.backward(dy)
    pre = f"maxpool/{name}/"
    put(pre + "geom", [n, h, w, c, k, k, s, p, y.shape[2], y.shape[3]])
    put(pre + "x", nhwc(x))
    put(pre + "y", nhwc(y))
    put(pre + "dy", nhwc(dy))
    put(pre + "dx", nhwc(x.grad))

# --- global average pool: name, N, H, W, C ---
for name, n, h, w, c in [("b2_5x7_c9", 2, 5, 7, 9), ("b1_3x3_c16", 1, 3, 3, 16)]:
    x = rand(n, c, h, w).requires_grad_()
    y = x.mean(dim=(2, 3))
    dy = rand(*y.shape)
    y.backward(dy)
    pre = f"gavgpool/{name}/"
    put(pre + "geom", [n, h, w, c])
    put(pre + "x", nhwc(x))
    put(pre + "y", y)
    put(pre + "dy", dy)
    put(pre + "dx", nhwc(x.grad))

# --- fully connected: name, N, in, out, bias ---
for name, n, i, o, has_bias in [("b3_17_10_bias", 3, 17, 10, True), ("b1_9_5_bias", 1, 9, 5, True),
                                ("b2_33_7", 2, 33, 7, False)]:
    x = rand(n, i).requires_grad_()
    w = rand(o, i, lo=-0.5, hi=0.5).requires_grad_()
    b = rand(o).requires_grad_() if has_bias else None
    y = F.linear(x, w, b)
    dy = rand(n, o)
    y.backward(dy)
    pre = f"fc/{name}/"
    put(pre + "geom", [n, i, o])
    for key, t in [("x", x), ("w", w), ("y", y), ("dy", dy), ("dx", x.grad), ("dw", w.grad)]:
        put(pre + key, t)
    if has_bias:
        put(pre + "b", b)
        put(pre + "db", b.grad)

# --- softmax cross-entropy, mean over the batch: name, N, classes ---
for name, n, k in [("b4_c10", 4, 10), ("b1_c7", 1, 7), ("b3_c13_large", 3, 13)]:
    scale = 30.0 if "large" in name else 3.0
    logits = rand(n, k, lo=-scale, hi=scale).requires_grad_()
    labels = torch.randint(0, k, (n,))
    loss = F.cross_entropy(logits, labels)
    loss.backward()
    pre = f"xent/{name}/"
    put(pre + "geom", [n, k])
    put(pre + "logits", logits)
    put(pre + "labels", labels.to(DT))
    put(pre + "loss", loss.reshape(1))
    put(pre + "probs", F.softmax(logits.detach(), dim=1))
    put(pre + "dlogits", logits.grad)

# --- optimizers: three steps from a given start, PyTorch's own update code ---
STEPS = 3


def optimizer_steps(pre, count, hyper, make_optimizer):
    """STEPS steps of PyTorch's optimizer on a random start and gradients; returns w and it."""
    w = torch.nn.Parameter(rand(count))
    grads = [rand(count) for _ in range(STEPS)]
    put(pre + "hyper", hyper + [STEPS])
    put(pre + "w0", w.detach())
    opt = make_optimizer([w])
    for t, g in enumerate(grads):
        put(pre + f"g{t}", g)
        w.grad = g.clone()
        opt.step()
    put(pre + "w", w.detach())
    return w, opt


for name, count, lr, momentum, wd in [("n37_wd", 37, 0.1, 0.9, 1e-2), ("n20", 20, 0.05, 0.5, 0.0)]:
    pre = f"sgd/{name}/"
    w, opt = optimizer_steps(pre, count, [lr, momentum, wd],
                             lambda p: torch.optim.SGD(p, lr=lr, momentum=momentum, weight_decay=wd))
    put(pre + "velocity", opt.state[w]["momentum_buffer"])

# Adam's weight decay is L2 on the gradient; AdamW's is decoupled (w *= 1 - lr*wd before the
# step), and large enough in its cases that Adam's L2 decay ends elsewhere (the test checks that).
ADAM_CASES = [("adam", torch.optim.Adam, [("n37_wd", 37, 1e-2, 0.9, 0.999, 1e-8, 1e-2),
                                          ("n21", 21, 1e-3, 0.8, 0.99, 1e-6, 0.0)]),
              ("adamw", torch.optim.AdamW, [("n37_wd", 37, 1e-2, 0.9, 0.999, 1e-8, 1e-1),
                                            ("n21_wd", 21, 5e-2, 0.8, 0.99, 1e-6, 0.5)])]
for op, optimizer, cases in ADAM_CASES:
    for name, count, lr, b1, b2, eps, wd in cases:
        pre = f"{op}/{name}/"
        w, opt = optimizer_steps(pre, count, [lr, b1, b2, eps, wd],
                                 lambda p: optimizer(p, lr=lr, betas=(b1, b2), eps=eps, weight_decay=wd))
        put(pre + "m", opt.state[w]["exp_avg"])
        put(pre + "v", opt.state[w]["exp_avg_sq"])

out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "goldens.bin")
with open(out, "wb") as f:
    f.write(b"EGLD" + struct.pack("<II", 1, len(records)))
    for name, shape, data in records:
        nb = name.encode("ascii")
        f.write(struct.pack("<I", len(nb)) + nb + struct.pack("<I", len(shape)))
        f.write(struct.pack(f"<{len(shape)}I", *shape) + data)
print(f"wrote {len(records)} records to {out}")
