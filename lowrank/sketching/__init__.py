"""Random sketches: Gaussian, Rademacher, SRHT and sparse sign (``lowrank.sketch`` is the function)."""

from .operators import KINDS, SketchOperator, make_sketch, sketch

__all__ = ["sketch", "make_sketch", "SketchOperator", "KINDS"]
