"""The roofline: an operation takes as long as the slower of its arithmetic and its memory traffic.

Williams, Waterman & Patterson, "Roofline: an insightful visual performance model for multicore
architectures", Commun. ACM 52(4), 2009, doi:10.1145/1498765.1498785. Each term is divided by the
fraction of the hardware peak that real kernels achieve (``*_frac``), which is what separates a
datasheet from a measured run.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike


def compute_time_s(flop: ArrayLike, peak_flop_per_s: ArrayLike, compute_frac: ArrayLike) -> np.ndarray:
    """Time to execute ``flop`` at ``compute_frac`` of ``peak_flop_per_s``.

    Parameters
    ----------
    flop : floating-point operations [FLOP]
    peak_flop_per_s : dense peak throughput of the chip at the operation's precision [FLOP/s]
    compute_frac : achieved fraction of that peak, in (0, 1] [-]
    """
    return np.asarray(flop, dtype=float) / (np.asarray(peak_flop_per_s, dtype=float) * np.asarray(compute_frac, dtype=float))


def memory_time_s(bytes_moved: ArrayLike, bandwidth_bytes_per_s: ArrayLike, bandwidth_frac: ArrayLike) -> np.ndarray:
    """Time to move ``bytes_moved`` through memory at ``bandwidth_frac`` of the nominal bandwidth [s]."""
    return np.asarray(bytes_moved, dtype=float) / (
        np.asarray(bandwidth_bytes_per_s, dtype=float) * np.asarray(bandwidth_frac, dtype=float)
    )


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
    return np.asarray(bytes_moved, dtype=float) / np.asarray(link_bytes_per_s, dtype=float)
