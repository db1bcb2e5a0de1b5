"""lowrank: fast, trustworthy randomized and structured numerical linear algebra.

Every public routine is importable from here (``lowrank.fwht``, ``lowrank.rsvd``, ...)
and from its home subpackage (``lowrank.transforms.fwht``, ...). Importing lowrank
imports NumPy and Numba but compiles nothing: each Numba kernel is compiled
(or loaded from Numba's on-disk cache) on its first call. Optional dependencies
(dask, matplotlib) are imported only by the routines that use them.
"""

import importlib

from . import transforms  # noqa: F401  (imports numba; SciPy and the other subpackages load on first use)

__version__ = "0.1.0"

# public name -> home subpackage
_HOMES = {
    "fwht": "transforms",
    "ifwht": "transforms",
    "fftbr": "transforms",
    "ifftbr": "transforms",
    "bitrev": "transforms",
    "sketch": "sketching",
    "make_sketch": "sketching",
    "SketchOperator": "sketching",
    "range_finder": "factor",
    "rsvd": "factor",
    "nystrom": "factor",
    "nystrom_preconditioner": "factor",
    "NystromPreconditioner": "factor",
    "cur": "factor",
    "column_id": "factor",
    "sketched_lstsq": "lstsq",
    "InverseFisher": "curvature",
    "SlidingInverseFisher": "curvature",
    "tucker": "tensor",
    "ChebTucker": "tensor",
    "altmin_complete": "completion",
    "lattice": "qmc",
    "digital_net": "qmc",
    "ShiftInvariantKernel": "qmc",
    "DigitalShiftInvariantKernel": "qmc",
    "FastGram": "qmc",
}
_SUBPACKAGES = ("transforms", "sketching", "factor", "lstsq", "completion", "curvature", "tensor", "qmc", "testing")
_RESULTS = ("SVDResult", "EighResult", "CURResult", "IDResult", "LstsqResult",
            "CompletionResult", "TuckerResult")

__all__ = sorted(_HOMES) + list(_RESULTS) + list(_SUBPACKAGES) + ["__version__"]


def __getattr__(name):
    if name in _HOMES:
        module = importlib.import_module(f"lowrank.{_HOMES[name]}")
        value = getattr(module, name)
    elif name in _SUBPACKAGES:
        value = importlib.import_module(f"lowrank.{name}")
    elif name in _RESULTS:
        value = getattr(importlib.import_module("lowrank._results"), name)
    else:
        raise AttributeError(f"module 'lowrank' has no attribute {name!r}")
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__():
    return sorted(set(globals()) | set(__all__))
