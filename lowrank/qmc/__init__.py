"""Fast kernel methods on low-discrepancy points: lattices, digital nets, SI/DSI kernels,
and Gram matrices in O(n log n) (``FastGram``)."""

from .fastgram import FastGram
from .kernels import DigitalShiftInvariantKernel, ShiftInvariantKernel
from .points import digital_net, lattice

__all__ = ["lattice", "digital_net", "ShiftInvariantKernel", "DigitalShiftInvariantKernel", "FastGram"]
