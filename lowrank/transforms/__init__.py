"""Fast transforms: Walsh–Hadamard (natural order) and FFT in bit-reversed order."""

from .fftbr import bitrev, fftbr, ifftbr
from .fwht import fwht, ifwht

__all__ = ["fwht", "ifwht", "fftbr", "ifftbr", "bitrev"]
