"""What a chip delivers to one workload: peak rates already resolved for the workload's precision and
software stack, and the achieved fractions of them. Fields accept floats or numpy arrays (one entry per
scenario), so a sweep over chips is one vectorised call."""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
from numpy.typing import ArrayLike

Number = float | np.ndarray


@dataclass(frozen=True)
class DeviceRates:
    """Rates of one GPU for one run.

    gemm_flop_per_s : dense peak at the GEMM precision of the weights [FLOP/s]
    gemm_frac : achieved fraction of ``gemm_flop_per_s`` for large GEMMs [-]
    bf16_flop_per_s : dense bf16 peak, used by attention, convolutions and bf16 encoders [FLOP/s]
    bf16_gemm_frac : achieved fraction of the bf16 peak for bf16 GEMMs [-]
    attention_frac : achieved fraction of the bf16 peak in attention at the model's head dim [-]
    conv_frac : achieved fraction of the bf16 peak in convolutions (VAE decoders) [-]
    memory_bandwidth_bytes_per_s, memory_bandwidth_frac : HBM bandwidth and its achieved fraction
    memory_bytes : HBM capacity [bytes]
    scale_up_bytes_per_s : GPU-to-GPU link bandwidth per direction [bytes/s]
    host_link_bytes_per_s : CPU-to-GPU link bandwidth per direction [bytes/s]
    serving_gemm_frac, weight_stream_frac, kv_bandwidth_frac : LLM serving kernels' achieved
        fractions (GEMMs at serving shapes, weight-streaming decode, paged-KV attention); None falls
        back to gemm_frac and memory_bandwidth_frac
    """

    gemm_flop_per_s: Number
    gemm_frac: Number
    bf16_flop_per_s: Number
    bf16_gemm_frac: Number
    attention_frac: Number
    conv_frac: Number
    memory_bandwidth_bytes_per_s: Number
    memory_bandwidth_frac: Number
    memory_bytes: Number
    scale_up_bytes_per_s: Number
    host_link_bytes_per_s: Number
    # LLM serving kernels: GEMMs at serving shapes, weight streaming and KV reads (None: use the above)
    serving_gemm_frac: Number | None = None
    weight_stream_frac: Number | None = None
    kv_bandwidth_frac: Number | None = None


def at_peak(r: DeviceRates) -> DeviceRates:
    """The same chip with every achieved fraction at 1: each kernel runs at the dense peak of its
    precision or at full HBM bandwidth. No run can beat it, so a prediction at these rates is a lower
    bound on time (:func:`capplan.planning.core.ideal_text_setup`)."""
    return replace(
        r, gemm_frac=1.0, bf16_gemm_frac=1.0, attention_frac=1.0, conv_frac=1.0, memory_bandwidth_frac=1.0,
        serving_gemm_frac=1.0, weight_stream_frac=1.0, kv_bandwidth_frac=1.0,
    )


def attention_frac_for_head_dim(frac_hdim64: ArrayLike, frac_hdim128: ArrayLike, head_dim: ArrayLike) -> np.ndarray:
    """Attention efficiency at ``head_dim`` from kernel benchmarks at head dims 64 and 128.

    Linear in head dim between the two benchmarked points and held constant outside them: a wider head
    does more matmul work per softmax exponential, so the exp unit throttles it less (FlashAttention-3,
    Shah et al. 2024, sec. 3), but extrapolating beyond the measured range would be a guess.
    """
    hd = np.clip(np.asarray(head_dim, dtype=float), 64.0, 128.0)
    w = (hd - 64.0) / 64.0
    return (1.0 - w) * np.asarray(frac_hdim64, dtype=float) + w * np.asarray(frac_hdim128, dtype=float)
