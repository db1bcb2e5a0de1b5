"""Low-rank factorizations: range finder, randomized SVD, Nyström, CUR and ID."""

from .cur import column_id, cur
from .nystrom import NystromPreconditioner, nystrom, nystrom_preconditioner
from .range_finder import range_finder
from .rsvd import rsvd

__all__ = ["range_finder", "rsvd", "nystrom", "nystrom_preconditioner", "NystromPreconditioner",
           "cur", "column_id"]
