"""Slow, obvious references for the transforms (dense matrices, explicit gathers)."""

import numpy as np
import scipy.fft
import scipy.linalg


def fwht_dense(x, axis=-1):
    n = x.shape[axis]
    H = scipy.linalg.hadamard(n).astype(np.float64)
    return np.moveaxis(np.tensordot(np.moveaxis(x, axis, -1).astype(np.complex128), H, axes=(-1, 0)), -1, axis)


def bitrev_naive(n):
    m = n.bit_length() - 1
    return np.array([int(format(i, f"0{m}b")[::-1], 2) if m else 0 for i in range(n)], dtype=np.int64)


def fftbr_dense(x, axis=-1, norm="backward"):
    n = x.shape[axis]
    return scipy.fft.fft(np.take(x.astype(np.complex128), bitrev_naive(n), axis=axis), axis=axis, norm=norm)
