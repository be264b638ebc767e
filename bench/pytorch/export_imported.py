#!/usr/bin/env python3
"""Exports full-size models to ONNX for infertop's imported-models benchmarks.

    export_imported.py OUT [--model all|NAME,...] [--opset 17] [--seed 0] [--io N]

writes OUT/<model>.onnx for each model:

  resnet50      torchvision's ResNet-50 (weights=None), input [batch, 3, 224, 224], output [batch, 1000]
  mobilenetv2   torchvision's MobileNetV2 (weights=None), input [batch, 3, 224, 224], output [batch, 1000]
  bert_encoder  a BERT-base-sized encoder: 12 post-norm layers, hidden 768, 12 heads, FFN 3072, GELU
                (erf), LayerNorm; input [batch, seq, 768] float32 (embeddings already looked up, no token
                ids), output [batch, seq, 768]; run it with --dim seq=128

Every file has a dynamic batch axis named "batch" on its input ("input") and
output ("output"); the encoder's second axis is named "seq". The modules are
in eval mode with constant folding on, exported by the TorchScript exporter
(dynamo=False where PyTorch offers the choice: 2.9 made the dynamo exporter
the default, which writes other graphs and needs onnxscript). The weights are random but seeded
(--seed, default 0): the same seed writes the same weights, and build() in
this file gives bench_imported.py the same modules. The convolutional
networks' BatchNorm statistics are taken from one seeded batch of random
input before export, so that each BatchNorm normalizes as a trained one does
and activations stay of order one (a half-precision run would otherwise see
activations that grow block after block).

--io N also writes OUT/<model>.b<N>.input.npy (uniform in [-1, 1), seed 0)
and OUT/<model>.b<N>.output.npy, the module's float32 output for it (the
encoder at seq 128).

Works with PyTorch 1.13 and 2.x (torchvision 0.13 or later).
"""

import argparse
import inspect
import math
import os
import sys

import numpy as np
import torch
from torch import nn

MODELS = ("resnet50", "mobilenetv2", "bert_encoder")
SEQ = 128  # the encoder's sequence length where one is needed (examples, --io, benchmarks)


def input_shape(name, seq=SEQ):
    """One sample's input shape."""
    if name == "bert_encoder":
        return (seq, 768)
    return (3, 224, 224)


class EncoderLayer(nn.Module):
    """One BERT layer, post-norm: self-attention (three projections, scaled
    q·kᵀ, softmax, ·v, output projection), residual, LayerNorm; then Linear,
    GELU, Linear, residual, LayerNorm."""

    def __init__(self, hidden=768, heads=12, ffn=3072):
        super().__init__()
        self.heads, self.dh = heads, hidden // heads
        self.query = nn.Linear(hidden, hidden)
        self.key = nn.Linear(hidden, hidden)
        self.value = nn.Linear(hidden, hidden)
        self.attn_out = nn.Linear(hidden, hidden)
        self.attn_norm = nn.LayerNorm(hidden, eps=1e-12)
        self.ffn_in = nn.Linear(hidden, ffn)
        self.gelu = nn.GELU()
        self.ffn_out = nn.Linear(ffn, hidden)
        self.out_norm = nn.LayerNorm(hidden, eps=1e-12)

    def split(self, x):
        b, t, _ = x.size()
        return x.view(b, t, self.heads, self.dh).permute(0, 2, 1, 3)

    def forward(self, x):
        q, k, v = self.split(self.query(x)), self.split(self.key(x)), self.split(self.value(x))
        scores = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(self.dh)
        ctx = torch.matmul(torch.softmax(scores, dim=-1), v)
        b, _, t, _ = ctx.size()
        ctx = ctx.permute(0, 2, 1, 3).contiguous().view(b, t, self.heads * self.dh)
        x = self.attn_norm(x + self.attn_out(ctx))
        return self.out_norm(x + self.ffn_out(self.gelu(self.ffn_in(x))))


class Encoder(nn.Module):
    """BERT-base's encoder stack on embeddings already looked up: [B, T, 768] → [B, T, 768]."""

    def __init__(self, layers=12, hidden=768, heads=12, ffn=3072):
        super().__init__()
        self.layers = nn.ModuleList([EncoderLayer(hidden, heads, ffn) for _ in range(layers)])

    def forward(self, x):
        for layer in self.layers:
            x = layer(x)
        return x


def calibrate_batchnorm(module, shape, seed, batch=8):
    """Sets every BatchNorm's running statistics to those of one seeded batch
    of random input (a cumulative average over that one batch)."""
    bns = [m for m in module.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    if not bns:
        return
    for m in bns:
        m.reset_running_stats()
        m.momentum = None
    gen = torch.Generator().manual_seed(seed + 1)
    x = torch.rand((batch,) + shape, generator=gen) * 2 - 1
    module.train()
    with torch.no_grad():
        module(x)
    for m in bns:
        m.momentum = 0.1
    module.eval()


def build(name, seed=0):
    """The model, with seeded weights, in eval mode (float32, on the CPU)."""
    if name not in MODELS:
        raise ValueError("unknown model %r (valid: %s)" % (name, ", ".join(MODELS)))
    torch.manual_seed(seed)
    if name == "bert_encoder":
        return Encoder().eval()
    import torchvision
    ctor = torchvision.models.resnet50 if name == "resnet50" else torchvision.models.mobilenet_v2
    module = ctor(weights=None)
    calibrate_batchnorm(module, input_shape(name), seed)
    return module.eval()


def dynamic_axes(name):
    axes = {0: "batch", 1: "seq"} if name == "bert_encoder" else {0: "batch"}
    return {"input": axes, "output": axes}


def export(name, out, opset=17, seed=0, io_batch=0):
    module = build(name, seed)
    example = torch.zeros((2,) + input_shape(name))
    path = os.path.join(out, "%s.onnx" % name)
    legacy = {"dynamo": False} if "dynamo" in inspect.signature(torch.onnx.export).parameters else {}
    with torch.no_grad():
        torch.onnx.export(module, (example,), path, input_names=["input"], output_names=["output"],
                          dynamic_axes=dynamic_axes(name), opset_version=opset, do_constant_folding=True, **legacy)
    written = [path]
    if io_batch:
        gen = torch.Generator().manual_seed(0)
        x = torch.rand((io_batch,) + input_shape(name), generator=gen) * 2 - 1
        with torch.no_grad():
            y = module(x)
        for part, t in (("input", x), ("output", y)):
            p = os.path.join(out, "%s.b%d.%s.npy" % (name, io_batch, part))
            np.save(p, np.ascontiguousarray(t.numpy()), allow_pickle=False)
            written.append(p)
    return written


def parse_models(text):
    names = list(MODELS) if text == "all" else [m.strip() for m in text.split(",") if m.strip()]
    bad = [m for m in names if m not in MODELS]
    if bad or not names:
        raise ValueError("unknown model %s (valid: all, %s)" % (", ".join(map(repr, bad)) or "''", ", ".join(MODELS)))
    return names


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog="\n".join(__doc__.splitlines()[1:]))
    ap.add_argument("out", help="folder to write into (made if missing)")
    ap.add_argument("--model", default="all", help="comma-separated models, or 'all' (default): " + ", ".join(MODELS))
    ap.add_argument("--opset", type=int, default=17, help="ONNX opset (default 17)")
    ap.add_argument("--seed", type=int, default=0, help="seed of the weights (default 0)")
    ap.add_argument("--io", type=int, default=0, metavar="N", help="also write an input and its output at batch N")
    args = ap.parse_args(argv)
    try:
        names = parse_models(args.model)
    except ValueError as e:
        ap.error("--model: %s" % e)
    if args.io < 0:
        ap.error("--io %d: want a positive batch" % args.io)
    os.makedirs(args.out, exist_ok=True)
    for name in names:
        for path in export(name, args.out, args.opset, args.seed, args.io):
            print("%10d  %s" % (os.path.getsize(path), path), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
