#!/usr/bin/python3
"""Writes the .onnx fixtures under onnx/testdata with the tools real files come from.

    /usr/bin/python3 onnx/testdata/gen.py     (Debian's python3-torch 1.13 and python3-onnx 1.12)

torch/:    a PyTorch export of Linear(4, 3) + ReLU with a dynamic batch axis, its weights stored by
           onnx's external data writer in weights.bin beside it (one file, offsets and lengths).
Each file is a few hundred bytes; the weights come from a fixed seed, so a rerun writes the same data.
"""
import os

import onnx
import torch
from onnx.external_data_helper import convert_model_to_external_data

here = os.path.dirname(os.path.abspath(__file__))


def torch_linear():
    torch.manual_seed(7)
    net = torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.ReLU()).eval()
    out = os.path.join(here, "torch")
    os.makedirs(out, exist_ok=True)
    path = os.path.join(out, "model.onnx")
    torch.onnx.export(net, torch.zeros(2, 4), path, input_names=["x"], output_names=["y"],
                      dynamic_axes={"x": {0: "batch"}, "y": {0: "batch"}}, opset_version=14)
    m = onnx.load(path)
    convert_model_to_external_data(m, all_tensors_to_one_file=True, location="weights.bin", size_threshold=0)
    if os.path.exists(os.path.join(out, "weights.bin")):
        os.remove(os.path.join(out, "weights.bin"))  # onnx appends to it
    onnx.save_model(m, path)
    # The reference output for x = [[1, 2, 3, 4]], as the tests check it.
    y = net(torch.tensor([[1.0, 2.0, 3.0, 4.0]]))
    print("y =", [float(v) for v in y[0]])
    print("weight =", [float(v) for v in net[0].weight.flatten()], "bias =", [float(v) for v in net[0].bias])


if __name__ == "__main__":
    torch_linear()
