"""Low-rank factorizations: range finder, randomized SVD, Nyström, CUR and ID."""

from .range_finder import range_finder
from .rsvd import rsvd

__all__ = ["range_finder", "rsvd"]
