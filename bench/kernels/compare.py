#!/usr/bin/python3
"""Runs edgetrain-kernel-bench and the same ops in PyTorch (Debian's python3-torch, NCHW, same
thread count) in one go, and prints them side by side with per-network sums.

  /usr/bin/python3 bench/kernels/compare.py [--threads 2] [--batch 8] [--reps 3]
      [--bench build/host/bench/kernels/edgetrain-kernel-bench] [--net mobilenet_v1|resnet18]

Times are the best of --reps runs of one op (both sides); a network's sum weights each layer
shape by how often it occurs. Backward ops are the ones a training step runs (the stem has no
input gradient).
"""
import argparse
import subprocess
import time

import torch
import torch.nn.functional as F


def best_ms(fn, reps):
    fn()  # warm-up (allocator, one-time packing)
    best = float("inf")
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        best = min(best, (time.perf_counter() - t0) * 1e3)
    return best


def torch_op(r):
    """A closure running the PyTorch equivalent of one benchmark row."""
    n, h, w, ic, oc = (int(r[k]) for k in ("n", "h", "w", "ic", "oc"))
    k, s, p, g = (int(r[k]) for k in ("k", "stride", "pad", "groups"))
    op, kind = r["op"], r["kind"]
    if kind == "fc":
        x, wt, b = torch.rand(n, ic), torch.rand(oc, ic), torch.rand(oc)
        dy = torch.rand(n, oc)
        return {"fc": lambda: F.linear(x, wt, b),
                "fc_bwd_data": lambda: dy.mm(wt),
                "fc_bwd_weights": lambda: (dy.t().mm(x), dy.sum(0))}[op]
    if kind == "add":
        a, b = torch.rand(n, ic, h, w), torch.rand(n, ic, h, w)
        return lambda: a + b
    if kind == "gavgpool":
        x, dy = torch.rand(n, ic, h, w), torch.rand(n, ic)
        return {"gavgpool": lambda: x.mean((2, 3)),
                "gavgpool_bwd": lambda: (dy[:, :, None, None] / (h * w)).expand(n, ic, h, w)
                .contiguous()}[op]
    if kind == "maxpool":
        x = torch.rand(n, ic, h, w)
        y, idx = torch.ops.aten.max_pool2d_with_indices(x, [k, k], [s, s], [p, p])
        dy = torch.rand_like(y)
        return {"maxpool": lambda: F.max_pool2d(x, k, s, p),
                "maxpool_bwd": lambda: torch.ops.aten.max_pool2d_with_indices_backward(
                    dy, x, [k, k], [s, s], [p, p], [1, 1], False, idx)}[op]
    # conv layer and the BN + activation after it
    x = torch.rand(n, ic, h, w)
    wt = torch.rand(oc, ic // g, k, k)
    y = F.conv2d(x, wt, None, s, p, 1, g)
    dy = torch.rand_like(y)
    gamma, beta = torch.rand(oc), torch.rand(oc)
    rm, rv = torch.zeros(oc), torch.ones(oc)
    _, smean, sinvstd = torch.ops.aten.native_batch_norm(y, gamma, beta, rm, rv, True, 0.1, 1e-5)
    conv_bwd = lambda mask: torch.ops.aten.convolution_backward(
        dy, x, wt, None, [s, s], [p, p], [1, 1], False, [0, 0], g, mask)
    return {
        "conv": lambda: F.conv2d(x, wt, None, s, p, 1, g),
        "bn": lambda: torch.ops.aten.native_batch_norm(y, gamma, beta, rm, rv, True, 0.1, 1e-5),
        "relu": lambda: torch.relu(y),
        "relu6": lambda: F.hardtanh(y, 0.0, 6.0),
        "relu_bwd": lambda: torch.ops.aten.threshold_backward(dy, y, 0),
        "relu6_bwd": lambda: torch.ops.aten.hardtanh_backward(dy, y, 0.0, 6.0),
        "bn_bwd": lambda: torch.ops.aten.native_batch_norm_backward(
            dy, y, gamma, rm, rv, smean, sinvstd, True, 1e-5, [True, True, True]),
        "conv_bwd_weights": lambda: conv_bwd([False, True, False]),
        "conv_bwd_data": lambda: conv_bwd([True, False, False]),
    }[op]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--net", default=None)
    ap.add_argument("--bench", default="build/host/bench/kernels/edgetrain-kernel-bench")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    cmd = [a.bench, "--threads", str(a.threads), "--batch", str(a.batch), "--reps", str(a.reps)]
    if a.net:
        cmd += ["--net", a.net]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout.splitlines()
    header = next(l for l in out if l.startswith("net,")).split(",")
    rows = [dict(zip(header, l.split(","))) for l in out if l and not l.startswith(("#", "net,"))]
    print(f"torch {torch.__version__}, {a.threads} threads, batch {a.batch}, best of {a.reps}")
    print(f"{'net':13} {'layer':24} {'x':>2} {'op':17} {'ours ms':>9} {'GFLOP/s':>8} "
          f"{'torch ms':>9} {'GFLOP/s':>8} {'ours/torch':>10}")
    sums, worst = {}, []
    with torch.no_grad():
        for r in rows:
            ours = float(r["ms"])
            gflop = float(r["gflops"]) * ours * 1e-3
            theirs = best_ms(torch_op(r), a.reps)
            cnt = int(r["count"])
            print(f"{r['net']:13} {r['layer'][:24]:24} {cnt:2} {r['op']:17} {ours:9.3f} "
                  f"{float(r['gflops']):8.2f} {theirs:9.3f} {gflop / theirs * 1e3:8.2f} "
                  f"{ours / theirs:10.2f}")
            bwd = "bwd" in r["op"]
            key = (r["net"], "backward" if bwd else "forward")
            s = sums.setdefault(key, [0.0, 0.0])
            s[0] += cnt * ours
            s[1] += cnt * theirs
            worst.append((cnt * ours, r["net"], r["layer"], r["op"], cnt * theirs))
    print("\nwhole-network sums (ms per training step of these ops):")
    for net in dict.fromkeys(k[0] for k in sums):
        f, b = sums.get((net, "forward"), [0, 0]), sums.get((net, "backward"), [0, 0])
        print(f"  {net:13} forward ours {f[0]:9.1f} torch {f[1]:9.1f} | backward ours {b[0]:9.1f} "
              f"torch {b[1]:9.1f} | total ours {f[0] + b[0]:9.1f} torch {f[1] + b[1]:9.1f} "
              f"({(f[0] + b[0]) / (f[1] + b[1]):.2f}x)")
    print("\nfive slowest ops of ours (ms x count):")
    for ms, net, layer, op, theirs in sorted(worst, reverse=True)[:5]:
        print(f"  {net:13} {layer:24} {op:17} ours {ms:8.1f}  torch {theirs:8.1f}")


if __name__ == "__main__":
    main()
