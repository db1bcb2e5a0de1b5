"""Second-order information: M-FAC inverse-Fisher-vector products (static and sliding window)."""

from .mfac import InverseFisher, SlidingInverseFisher

__all__ = ["InverseFisher", "SlidingInverseFisher"]
