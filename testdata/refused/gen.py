#!/usr/bin/python3
"""Writes the .onnx files the command-line tests refuse or restrict.

    /usr/bin/python3 testdata/refused/gen.py     (Debian's python3-onnx 1.12)

fixed_batch.onnx:  Gemm(4→3) + Relu whose input is [2, 4]: exported with a fixed batch of 2.
unsupported.onnx:  [batch, 4] through Hardmax twice and TopK (k = 2): ops infertop does not compute.
Both are opset 17 with weights from fixed values, so a rerun writes the same bytes.
"""
import os

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

here = os.path.dirname(os.path.abspath(__file__))


def save(graph, name):
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], producer_name="infertop tests")
    m.ir_version = 8
    onnx.checker.check_model(m)
    onnx.save_model(m, os.path.join(here, name))


def fixed_batch():
    w = numpy_helper.from_array(np.arange(12, dtype=np.float32).reshape(3, 4) / 10 - 0.5, "fc.weight")
    b = numpy_helper.from_array(np.array([0.1, -0.2, 0.3], dtype=np.float32), "fc.bias")
    g = helper.make_graph(
        [helper.make_node("Gemm", ["input", "fc.weight", "fc.bias"], ["fc"], name="fc", transB=1),
         helper.make_node("Relu", ["fc"], ["output"], name="relu")],
        "fixed_batch",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, [2, 4])],
        [helper.make_tensor_value_info("output", TensorProto.FLOAT, [2, 3])],
        [w, b])
    save(g, "fixed_batch.onnx")


def unsupported():
    k = numpy_helper.from_array(np.array([2], dtype=np.int64), "k")
    g = helper.make_graph(
        [helper.make_node("Hardmax", ["input"], ["h1"], name="hardmax_1"),
         helper.make_node("Hardmax", ["h1"], ["h2"], name="hardmax_2"),
         helper.make_node("TopK", ["h2", "k"], ["output", "indices"], name="topk")],
        "unsupported",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["batch", 4])],
        [helper.make_tensor_value_info("output", TensorProto.FLOAT, ["batch", 2])],
        [k])
    save(g, "unsupported.onnx")


if __name__ == "__main__":
    fixed_batch()
    unsupported()
