"""Matrix completion by alternating minimisation (``altmin_complete``)."""

from .altmin import CompletionWarning, altmin_complete

__all__ = ["altmin_complete", "CompletionWarning"]
