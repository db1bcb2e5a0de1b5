"""Tensors: Tucker decomposition (HOSVD + HOOI) and the hybrid Chebyshev–Tucker format."""

from .chebtucker import ChebTucker
from .tucker import tucker, tucker_to_tensor

__all__ = ["tucker", "tucker_to_tensor", "ChebTucker"]
