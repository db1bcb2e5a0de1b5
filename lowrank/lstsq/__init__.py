"""Least squares through random sketches (``sketched_lstsq``)."""

from .sketched import sketched_lstsq, solve_sketch_size

__all__ = ["sketched_lstsq", "solve_sketch_size"]
