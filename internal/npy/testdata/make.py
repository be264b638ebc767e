#!/usr/bin/env python3
"""Writes the .npy files the npy package's tests read, with NumPy itself.

Run from this folder: /usr/bin/python3 make.py
"""

import numpy as np
from numpy.lib import format as npformat


def save(name, arr, version=None):
    with open(name, "wb") as f:
        npformat.write_array(f, arr, version=version, allow_pickle=False)


# Accepted: every dtype, both versions, a scalar, an empty array, a 3-D array.
save("f4_2x3.npy", (np.arange(6, dtype="<f4").reshape(2, 3) * 0.5 - 1))
save("f4_scalar.npy", np.array(3.25, dtype="<f4"))
save("f4_0x3.npy", np.zeros((0, 3), dtype="<f4"))
save("f4_2x2x2_v2.npy", np.arange(8, dtype="<f4").reshape(2, 2, 2) / 8, version=(2, 0))
save("i8_3.npy", np.array([-3, 0, 1 << 40], dtype="<i8"))
save("i4_2x2.npy", np.array([[-(1 << 31), -1], [7, (1 << 31) - 1]], dtype="<i4"))
save("b1_5.npy", np.array([True, False, False, True, True]))

# Refused: a dtype outside the four, big-endian, Fortran order, a structured dtype.
save("f8_2.npy", np.array([1.5, -2.0], dtype="<f8"))
save("f4_big_endian.npy", np.array([1.0, 2.0], dtype=">f4"))
save("f4_fortran.npy", np.asfortranarray(np.arange(6, dtype="<f4").reshape(2, 3)))
save("structured.npy", np.zeros(2, dtype=[("a", "<f4"), ("b", "<i8")]))
