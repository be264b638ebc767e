#!/usr/bin/env python3
"""Exports infertop's five presets, as written in models.py, to ONNX.

    export_presets.py OUT [--preset all|NAME,...] [--opset 13,17] [--weights DIR] [--io N]

writes OUT/<preset>.opset<N>.onnx for each preset and opset, with a dynamic
batch axis named "batch" on the input ("input") and the output ("output"),
constant folding on, the module in eval mode.

--weights DIR loads every parameter from a .npy file named like infertop's
parameter, "<name>.npy" (fc1.weight.npy, stage1.block1.conv1.bias.npy,
attn.in_proj_weight.npy ...), instead of PyTorch's random initialisation: from
DIR/<preset>/ when that folder exists, else from DIR itself (then only one
preset may be exported). Every parameter must be there, float32 and of
PyTorch's shape; files that name no parameter are refused too. A Go test can
so write a preset's seeded weights with internal/npy, export the preset and
compare the imported graph with the built-in one.

--io N also writes OUT/<preset>.b<N>.input.npy (uniform in [-1, 1), seed 0)
and OUT/<preset>.b<N>.output.npy, the module's output for it.

Works with PyTorch 1.13 (Debian's python3-torch) and 2.x.
"""

import argparse
import os
import sys

import numpy as np
import torch

import models


def load_weights(module, folder):
    """Copies <folder>/<name>.npy into every parameter of module."""
    state = module.state_dict()
    files = {f[:-4] for f in os.listdir(folder) if f.endswith(".npy")}
    missing = sorted(set(state) - files)
    extra = sorted(files - set(state))
    if missing or extra:
        raise SystemExit("%s: missing %s; unknown %s (want exactly: %s)" % (
            folder, missing or "none", extra or "none", ", ".join(state)))
    loaded = {}
    for name, ref in state.items():
        arr = np.load(os.path.join(folder, name + ".npy"), allow_pickle=False)
        if arr.dtype != np.float32 or tuple(arr.shape) != tuple(ref.shape):
            raise SystemExit("%s: %s is %s %s, want float32 %s" % (
                folder, name + ".npy", arr.dtype, tuple(arr.shape), tuple(ref.shape)))
        loaded[name] = torch.from_numpy(arr.copy())
    module.load_state_dict(loaded)


def weights_folder(root, preset, presets):
    sub = os.path.join(root, preset)
    if os.path.isdir(sub):
        return sub
    if len(presets) > 1:
        raise SystemExit("--weights %s: no folder %s, and a flat folder serves one preset only" % (root, sub))
    return root


def export(name, out, opsets, weights, io_batch):
    torch.manual_seed(0)
    module = models.build(name).eval()
    if weights:
        load_weights(module, weights)
    shape = models.INPUT_SHAPES[name]
    written = []
    example = torch.zeros((2,) + shape)
    for opset in opsets:
        path = os.path.join(out, "%s.opset%d.onnx" % (name, opset))
        torch.onnx.export(module, (example,), path, input_names=["input"], output_names=["output"],
                          dynamic_axes={"input": {0: "batch"}, "output": {0: "batch"}},
                          opset_version=opset, do_constant_folding=True)
        written.append(path)
    if io_batch:
        gen = torch.Generator().manual_seed(0)
        x = torch.rand((io_batch,) + shape, generator=gen) * 2 - 1
        with torch.no_grad():
            y = module(x)
        for part, t in (("input", x), ("output", y)):
            path = os.path.join(out, "%s.b%d.%s.npy" % (name, io_batch, part))
            np.save(path, t.numpy(), allow_pickle=False)
            written.append(path)
    return written


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog="\n".join(__doc__.splitlines()[1:]))
    ap.add_argument("out", help="folder to write into (made if missing)")
    ap.add_argument("--preset", default="all", help="comma-separated presets, or 'all' (default)")
    ap.add_argument("--opset", default="13,17", help="comma-separated opsets (default 13,17)")
    ap.add_argument("--weights", metavar="DIR", help="load parameters from DIR/[<preset>/]<name>.npy")
    ap.add_argument("--io", type=int, default=0, metavar="N", help="also write an input and its output at batch N")
    args = ap.parse_args(argv)
    presets = models.PRESETS if args.preset == "all" else [p.strip() for p in args.preset.split(",")]
    for p in presets:
        if p not in models.PRESETS:
            ap.error("unknown preset %r (valid: %s)" % (p, ", ".join(models.PRESETS)))
    try:
        opsets = [int(o) for o in args.opset.split(",")]
    except ValueError:
        ap.error("--opset %r: want comma-separated integers such as 13,17" % args.opset)
    if args.io < 0:
        ap.error("--io %d: want a positive batch" % args.io)
    os.makedirs(args.out, exist_ok=True)
    for p in presets:
        weights = weights_folder(args.weights, p, presets) if args.weights else None
        for path in export(p, args.out, opsets, weights, args.io):
            print("%10d  %s" % (os.path.getsize(path), path))
    return 0


if __name__ == "__main__":
    sys.exit(main())
