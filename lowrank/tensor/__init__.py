"""Tensors: Tucker decomposition (HOSVD + HOOI)."""

from .tucker import tucker, tucker_to_tensor

__all__ = ["tucker", "tucker_to_tensor"]
