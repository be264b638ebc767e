#!/usr/bin/env python3
"""Writes the ONNX model fixtures of this folder, with their inputs and PyTorch's outputs.

Run with the Debian Python (PyTorch 1.13, torchvision 0.14, ONNX 1.12):

    /usr/bin/python3 testdata/models/make.py [--out DIR]

Every model is small, float32, built from fixed seeds and exported with
torch.onnx.export (dynamic batch axis "batch", constant folding on). Beside
each model, for batch 1 and batch 3: <model>.b<N>.<input>.npy for every graph
input and <model>.b<N>.output.npy, computed by the module in eval mode.
Running it twice writes the same files.
"""

import argparse
import math
import os
import sys

import numpy as np
import onnx
import torch
from torch import nn
from torchvision.models.mobilenetv2 import InvertedResidual
from torchvision.models.resnet import BasicBlock
from torchvision.models.squeezenet import Fire

HERE = os.path.dirname(os.path.abspath(__file__))
BATCHES = (1, 3)


def randomize_batchnorm(module, gen):
    """Gives every BatchNorm running statistics and an affine transform that
    are not the identity, so that a model computes wrong if they are ignored."""
    for m in module.modules():
        if isinstance(m, nn.BatchNorm2d):
            c = m.num_features
            m.running_mean.copy_(torch.randn(c, generator=gen) * 0.1)
            m.running_var.copy_(torch.rand(c, generator=gen) * 0.5 + 0.75)
            m.weight.data.copy_(torch.rand(c, generator=gen) * 0.5 + 0.75)
            m.bias.data.copy_(torch.randn(c, generator=gen) * 0.1)


class ResNetNarrow(nn.Module):
    """A torchvision-style ResNet at 8 and 16 channels: a stride-2 7×7 stem
    conv, BatchNorm, ReLU and 3×3 MaxPool; a BasicBlock; a downsampling
    BasicBlock with a 1×1 projection shortcut; adaptive average pool; Linear."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 8, 7, stride=2, padding=3, bias=False)
        self.bn1 = nn.BatchNorm2d(8)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(3, stride=2, padding=1)
        self.layer1 = BasicBlock(8, 8)
        down = nn.Sequential(nn.Conv2d(8, 16, 1, stride=2, bias=False), nn.BatchNorm2d(16))
        self.layer2 = BasicBlock(8, 16, stride=2, downsample=down)
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(16, 10)

    def forward(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer2(self.layer1(x))
        return self.fc(torch.flatten(self.avgpool(x), 1))


class MobileNetTiny(nn.Module):
    """A MobileNetV2-like stack: a stride-2 3×3 stem conv, BatchNorm, ReLU6;
    torchvision's inverted residual blocks (1×1 expand, 3×3 depthwise at
    stride 1 and 2, ReLU6, 1×1 project, BatchNorm, residual where shapes
    match); a 1×1 conv; average pool; Linear."""

    def __init__(self):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 8, 3, stride=2, padding=1, bias=False), nn.BatchNorm2d(8), nn.ReLU6())
        self.blocks = nn.Sequential(
            InvertedResidual(8, 8, 1, 2),
            InvertedResidual(8, 16, 2, 3),
            InvertedResidual(16, 16, 1, 3),
        )
        self.head = nn.Sequential(nn.Conv2d(16, 32, 1, bias=False), nn.BatchNorm2d(32), nn.ReLU6())
        self.fc = nn.Linear(32, 10)

    def forward(self, x):
        x = self.head(self.blocks(self.stem(x)))
        return self.fc(x.mean((2, 3)))


class SqueezeTiny(nn.Module):
    """A SqueezeNet-like model: a stride-2 conv, ceil-mode max pools, three
    Fire blocks (Concat of 1×1 and 3×3 expand branches), a 1×1 classifier
    conv, ReLU and adaptive average pool."""

    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, 16, 3, stride=2), nn.ReLU(inplace=True),
            nn.MaxPool2d(3, stride=2, ceil_mode=True),
            Fire(16, 4, 8, 8), Fire(16, 4, 8, 8),
            nn.MaxPool2d(3, stride=2, ceil_mode=True),
            Fire(16, 8, 16, 16),
        )
        self.classifier = nn.Sequential(
            nn.Dropout(0.5), nn.Conv2d(32, 10, 1), nn.ReLU(inplace=True), nn.AdaptiveAvgPool2d((1, 1)))

    def forward(self, x):
        return torch.flatten(self.classifier(self.features(x)), 1)


def silu(x):
    return x * torch.sigmoid(x)


class SEBlock(nn.Module):
    """EfficientNet's MBConv with squeeze-and-excitation: 1×1 expand, 3×3
    depthwise, SE (global pool, 1×1 reduce, SiLU, 1×1 expand, Sigmoid,
    Mul), 1×1 project, residual; BatchNorm after every conv but the SE's."""

    def __init__(self, ch, expand=4, se=4):
        super().__init__()
        hid = ch * expand
        self.expand = nn.Conv2d(ch, hid, 1, bias=False)
        self.bn0 = nn.BatchNorm2d(hid)
        self.dw = nn.Conv2d(hid, hid, 3, padding=1, groups=hid, bias=False)
        self.bn1 = nn.BatchNorm2d(hid)
        self.se_reduce = nn.Conv2d(hid, se, 1)
        self.se_expand = nn.Conv2d(se, hid, 1)
        self.project = nn.Conv2d(hid, ch, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(ch)

    def forward(self, x):
        h = silu(self.bn0(self.expand(x)))
        h = silu(self.bn1(self.dw(h)))
        s = h.mean((2, 3), keepdim=True)
        s = torch.sigmoid(self.se_expand(silu(self.se_reduce(s))))
        return x + self.bn2(self.project(h * s))


class EfficientTiny(nn.Module):
    """A stride-2 stem conv with BatchNorm and SiLU, two SE blocks, a 1×1
    head conv, global average pool and Linear."""

    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(3, 16, 3, stride=2, padding=1, bias=False)
        self.bn = nn.BatchNorm2d(16)
        self.block1 = SEBlock(16)
        self.block2 = SEBlock(16)
        self.head = nn.Conv2d(16, 32, 1)
        self.fc = nn.Linear(32, 10)

    def forward(self, x):
        x = silu(self.bn(self.stem(x)))
        x = silu(self.head(self.block2(self.block1(x))))
        return self.fc(torch.flatten(nn.functional.adaptive_avg_pool2d(x, 1), 1))


class BertLayer(nn.Module):
    """One BERT encoder layer, written as Hugging Face's BertLayer computes it."""

    def __init__(self, hidden, heads, ffn):
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

    def forward(self, x, ext_mask):
        q, k, v = self.split(self.query(x)), self.split(self.key(x)), self.split(self.value(x))
        scores = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(self.dh) + ext_mask
        ctx = torch.matmul(torch.softmax(scores, dim=-1), v)
        b, _, t, _ = ctx.size()
        ctx = ctx.permute(0, 2, 1, 3).contiguous().view(b, t, self.heads * self.dh)
        x = self.attn_norm(x + self.attn_out(ctx))
        return self.out_norm(x + self.ffn_out(self.gelu(self.ffn_in(x))))


class BertTiny(nn.Module):
    """A 2-layer BERT-like encoder: int64 token ids and attention mask [B, T]
    → word and position embeddings → LayerNorm → 2 layers (hidden 64, 4
    heads, FFN 128, vocabulary 100, at most 32 positions)."""

    def __init__(self, vocab=100, hidden=64, heads=4, ffn=128, layers=2, max_pos=32):
        super().__init__()
        self.word = nn.Embedding(vocab, hidden)
        self.position = nn.Embedding(max_pos, hidden)
        self.register_buffer("position_ids", torch.arange(max_pos).expand((1, -1)))
        self.norm = nn.LayerNorm(hidden, eps=1e-12)
        self.layers = nn.ModuleList([BertLayer(hidden, heads, ffn) for _ in range(layers)])

    def forward(self, input_ids, attention_mask):
        t = input_ids.size(1)
        x = self.norm(self.word(input_ids) + self.position(self.position_ids[:, :t]))
        ext = (1.0 - attention_mask[:, None, None, :].float()) * -10000.0
        for layer in self.layers:
            x = layer(x, ext)
        return x


class MLPGemm(nn.Module):
    """Linear(16→32), ReLU, Linear(32→10): two Gemm nodes."""

    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(16, 32)
        self.relu = nn.ReLU()
        self.fc2 = nn.Linear(32, 10)

    def forward(self, x):
        return self.fc2(self.relu(self.fc1(x)))


def image_inputs(shape):
    def make(batch, gen):
        return {"input": torch.randn((batch,) + shape, generator=gen)}
    return make


def bert_inputs(batch, gen, seq=16):
    ids = torch.randint(0, 100, (batch, seq), generator=gen, dtype=torch.int64)
    mask = torch.ones((batch, seq), dtype=torch.int64)
    for i in range(batch):
        mask[i, seq - 3 - 5 * i:] = 0  # 3, 8, 13 padded positions: masking changes every row
    return {"input_ids": ids, "attention_mask": mask}


# name: (module class, inputs maker, opsets, axes of each input that are dynamic)
MODELS = {
    "resnet_narrow": (ResNetNarrow, image_inputs((3, 32, 32)), (17, 13), {0: "batch"}),
    "mobilenet_tiny": (MobileNetTiny, image_inputs((3, 32, 32)), (17,), {0: "batch"}),
    "squeeze_tiny": (SqueezeTiny, image_inputs((3, 33, 33)), (17,), {0: "batch"}),
    "efficient_se": (EfficientTiny, image_inputs((3, 32, 32)), (17,), {0: "batch"}),
    "bert_tiny": (BertTiny, bert_inputs, (17, 13), {0: "batch", 1: "seq"}),
    "mlp_gemm": (MLPGemm, image_inputs((16,)), (13,), {0: "batch"}),
}


# Exports that keep BatchNormalization nodes rather than folding them into
# the convolutions before them (TrainingMode.PRESERVE of a module in eval mode).
KEEP_BATCHNORM = {("resnet_narrow", 13)}


def model_file(out, name, opset, opsets):
    """<name>.onnx at the model's first opset, <name>.op<N>.onnx at the others."""
    suffix = "" if opset == opsets[0] else ".op%d" % opset
    return os.path.join(out, "%s%s.onnx" % (name, suffix))


def save_npy(path, t):
    np.save(path, np.ascontiguousarray(t.detach().numpy()), allow_pickle=False)


def make(name, out):
    cls, inputs, opsets, axes = MODELS[name]
    torch.manual_seed(0)
    gen = torch.Generator().manual_seed(1)
    module = cls()
    with torch.no_grad():
        randomize_batchnorm(module, gen)
    module.eval()
    written = []
    for batch in BATCHES:
        feed = inputs(batch, gen)
        with torch.no_grad():
            y = module(*feed.values())
        for k, v in feed.items():
            path = os.path.join(out, "%s.b%d.%s.npy" % (name, batch, k))
            save_npy(path, v)
            written.append(path)
        path = os.path.join(out, "%s.b%d.output.npy" % (name, batch))
        save_npy(path, y)
        written.append(path)
    example = tuple(inputs(2, torch.Generator().manual_seed(2)).values())
    names = list(inputs(1, torch.Generator().manual_seed(2)))
    dynamic = {k: axes for k in names}
    dynamic["output"] = {0: "batch", 1: "seq"} if name == "bert_tiny" else {0: "batch"}
    for opset in opsets:
        path = model_file(out, name, opset, opsets)
        mode = torch.onnx.TrainingMode.PRESERVE if (name, opset) in KEEP_BATCHNORM else torch.onnx.TrainingMode.EVAL
        torch.onnx.export(module, example, path, input_names=names, output_names=["output"],
                          dynamic_axes=dynamic, opset_version=opset, do_constant_folding=True, training=mode)
        onnx.checker.check_model(onnx.load(path))
        written.insert(0, path)
    return written


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=HERE, help="folder to write into (default: this script's folder)")
    ap.add_argument("models", nargs="*", help="models to write (default: all of %s)" % ", ".join(MODELS))
    args = ap.parse_args(argv)
    for name in args.models or MODELS:
        if name not in MODELS:
            ap.error("unknown model %r (valid: %s)" % (name, ", ".join(MODELS)))
        for path in make(name, args.out):
            print("%8d  %s" % (os.path.getsize(path), os.path.relpath(path)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
