"""The roofline: an operation takes as long as the slower of its arithmetic and its memory traffic.

Williams, Waterman & Patterson, "Roofline: an insightful visual performance model for multicore
architectures", Commun. ACM 52(4), 2009, doi:10.1145/1498765.1498785. Each term is divided by the
fraction of the hardware peak that real kernels achieve (``*_frac``), which is what separates a
datasheet from a measured run.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike


def num(x: Any) -> Any:
    """``x`` as a float array, except that a Python float stays a float. The models' formulas are
    written once for both: on floats they run as Python arithmetic, which a scalar what-if needs
    (each numpy operation on a one-element array costs 0.3-1.5 us, the same on a float 20-100 ns) and
    which gives the same IEEE results as numpy on arrays."""
    return x if type(x) is float else np.asarray(x, dtype=float)


def maximum(a: Any, b: Any) -> Any:
    """``np.maximum`` (NaN wins), as a Python comparison when both are floats."""
    if type(a) is float and type(b) is float:
        return a if a >= b or a != a else b
    return np.maximum(a, b)


def minimum(a: Any, b: Any) -> Any:
    """``np.minimum`` (NaN wins), as a Python comparison when both are floats."""
    if type(a) is float and type(b) is float:
        return a if a <= b or a != a else b
    return np.minimum(a, b)


def compute_time_s(flop: ArrayLike, peak_flop_per_s: ArrayLike, compute_frac: ArrayLike) -> np.ndarray:
    """Time to execute ``flop`` at ``compute_frac`` of ``peak_flop_per_s``.

    Parameters
    ----------
    flop : floating-point operations [FLOP]
    peak_flop_per_s : dense peak throughput of the chip at the operation's precision [FLOP/s]
    compute_frac : achieved fraction of that peak, in (0, 1] [-]
    """
    if type(flop) is float and type(peak_flop_per_s) is float and type(compute_frac) is float:
        return flop / (peak_flop_per_s * compute_frac)  # type: ignore[return-value]
    return num(flop) / (num(peak_flop_per_s) * num(compute_frac))


def memory_time_s(bytes_moved: ArrayLike, bandwidth_bytes_per_s: ArrayLike, bandwidth_frac: ArrayLike) -> np.ndarray:
    """Time to move ``bytes_moved`` through memory at ``bandwidth_frac`` of the nominal bandwidth [s]."""
    if type(bytes_moved) is float and type(bandwidth_bytes_per_s) is float and type(bandwidth_frac) is float:
        return bytes_moved / (bandwidth_bytes_per_s * bandwidth_frac)  # type: ignore[return-value]
    return num(bytes_moved) / (num(bandwidth_bytes_per_s) * num(bandwidth_frac))


def roofline_time_s(
    flop: ArrayLike,
    bytes_moved: ArrayLike,
    peak_flop_per_s: ArrayLike,
    compute_frac: ArrayLike,
    bandwidth_bytes_per_s: ArrayLike,
    bandwidth_frac: ArrayLike,
) -> np.ndarray:
    """max(compute time, memory time) [s]: compute and traffic overlap, the slower one binds."""
    return np.maximum(
        compute_time_s(flop, peak_flop_per_s, compute_frac),
        memory_time_s(bytes_moved, bandwidth_bytes_per_s, bandwidth_frac),
    )


def link_time_s(bytes_moved: ArrayLike, link_bytes_per_s: ArrayLike) -> np.ndarray:
    """Time to send ``bytes_moved`` over a link of ``link_bytes_per_s`` (per direction) [s]."""
    if type(bytes_moved) is float and type(link_bytes_per_s) is float:
        return bytes_moved / link_bytes_per_s  # type: ignore[return-value]
    return num(bytes_moved) / num(link_bytes_per_s)
