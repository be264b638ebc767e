#!/usr/bin/env python3
"""The five infertop presets written as torch.nn modules.

The architectures are those of presets/catalog.go (float32, every convolution
and linear with a bias), and every parameter has infertop's name for it
("fc1.weight", "stage1.block1.conv1.bias", "attn.in_proj_weight" ...), so that
a state_dict and infertop's seeded weights map one to one.
`python3 models.py --counts` prints each preset's parameter count, which must
equal `infertop presets --format json` -> "params".

Works with PyTorch 1.13 and 2.x.
"""

import argparse
import json
import sys
from collections import OrderedDict

import torch
from torch import nn

# Per-sample input shapes, as in presets/catalog.go.
INPUT_SHAPES = {
    "linear": (10,),
    "mlp": (784,),
    "lenet5": (1, 28, 28),
    "resnet": (3, 32, 32),
    "transformer": (128, 256),
}

# Parameter counts infertop reports (presets.ParamCount); checked by --counts.
EXPECTED_PARAMS = {
    "linear": 11,
    "mlp": 1863690,
    "lenet5": 44426,
    "resnet": 204746,
    "transformer": 789760,
}

PRESETS = list(INPUT_SHAPES)


class ResBlock(nn.Module):
    """[Conv3x3, ReLU, Conv3x3] + skip, then ReLU (the ReLU after the sum is
    a separate layer in the catalog; it is folded in here)."""

    def __init__(self, ch):
        super().__init__()
        self.conv1 = nn.Conv2d(ch, ch, 3, padding=1)
        self.relu = nn.ReLU()
        self.conv2 = nn.Conv2d(ch, ch, 3, padding=1)
        self.out = nn.ReLU()

    def forward(self, x):
        return self.out(x + self.conv2(self.relu(self.conv1(x))))


def stage(ch):
    return nn.Sequential(OrderedDict(block1=ResBlock(ch), block2=ResBlock(ch)))


class ResNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(3, 32, 3, padding=1)
        self.stem_relu = nn.ReLU()
        self.stage1 = stage(32)
        self.down = nn.Conv2d(32, 64, 3, stride=2, padding=1)
        self.down_relu = nn.ReLU()
        self.stage2 = stage(64)
        self.fc = nn.Linear(64, 10)

    def forward(self, x):
        x = self.stage1(self.stem_relu(self.stem(x)))
        x = self.stage2(self.down_relu(self.down(x)))
        x = x.mean(dim=(2, 3))  # global average pool
        return self.fc(x)


class EncoderLayer(nn.Module):
    """One pre-norm encoder layer: x + MHA(LN(x)), then x + FFN(LN(x))."""

    def __init__(self, d=256, heads=4, ffn=1024):
        super().__init__()
        self.norm1 = nn.LayerNorm(d)
        self.attn = nn.MultiheadAttention(d, heads, batch_first=True)
        self.norm2 = nn.LayerNorm(d)
        self.ffn1 = nn.Linear(d, ffn)
        self.gelu = nn.GELU()
        self.ffn2 = nn.Linear(ffn, d)

    def forward(self, x):
        h = self.norm1(x)
        a, _ = self.attn(h, h, h, need_weights=False)
        x = x + a
        return x + self.ffn2(self.gelu(self.ffn1(self.norm2(x))))


def build(name):
    """Returns the preset `name` as an nn.Module (float32, training mode)."""
    if name == "linear":
        return nn.Sequential(OrderedDict(fc=nn.Linear(10, 1)))
    if name == "mlp":
        return nn.Sequential(OrderedDict(
            fc1=nn.Linear(784, 1024), relu1=nn.ReLU(),
            fc2=nn.Linear(1024, 1024), relu2=nn.ReLU(),
            fc3=nn.Linear(1024, 10),
        ))
    if name == "lenet5":
        return nn.Sequential(OrderedDict(
            conv1=nn.Conv2d(1, 6, 5), relu1=nn.ReLU(), pool1=nn.MaxPool2d(2),
            conv2=nn.Conv2d(6, 16, 5), relu2=nn.ReLU(), pool2=nn.MaxPool2d(2),
            flatten=nn.Flatten(),
            fc1=nn.Linear(256, 120), relu3=nn.ReLU(),
            fc2=nn.Linear(120, 84), relu4=nn.ReLU(),
            fc3=nn.Linear(84, 10),
        ))
    if name == "resnet":
        return ResNet()
    if name == "transformer":
        return EncoderLayer()
    raise ValueError("unknown preset %r (valid: %s)" % (name, ", ".join(PRESETS)))


def param_count(model):
    return sum(p.numel() for p in model.parameters())


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--counts", action="store_true", help="print each preset's parameter count and check it")
    ap.add_argument("--json", action="store_true", help="with --counts: one JSON object instead of a table")
    args = ap.parse_args(argv)
    if not args.counts:
        ap.print_help()
        return 0
    ok = True
    counts = {}
    for name in PRESETS:
        m = build(name).eval()
        n = param_count(m)
        counts[name] = n
        with torch.no_grad():
            y = m(torch.zeros((2,) + INPUT_SHAPES[name]))
        good = n == EXPECTED_PARAMS[name]
        ok = ok and good
        if not args.json:
            print("%-12s %9d  expected %9d  %s  output %s" % (
                name, n, EXPECTED_PARAMS[name], "ok" if good else "MISMATCH", tuple(y.shape[1:])))
    if args.json:
        print(json.dumps({"torch_version": torch.__version__, "params": counts, "ok": ok}))
    else:
        print("torch %s: %s" % (torch.__version__, "all counts match" if ok else "COUNTS DIFFER"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
