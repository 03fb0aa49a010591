"""What a serving engine and its kernels add to a transformer iteration: kernel counts and the floors
of kernels launched from a graph, host time outside one, the engine's MoE layout and fused-MoE figures.

Pure values and functions (no I/O); :mod:`capplan.models.transformer` prices iterations with them.
Equations and sources: docs/methodology.md, "Kernel-time floors" and "Serving engines".
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike

from capplan.models.roofline import num

if TYPE_CHECKING:
    from capplan.models.transformer import LLMArchitecture


@dataclass(frozen=True)
class KernelCounts:
    """Kernels a layer launches per iteration, by group (see :func:`kernels_per_layer`)."""

    attention_gemms: int  # every layer: projections into and out of attention
    mlp_gemms: int  # every dense (non-MoE) layer
    attention: int  # every layer
    elementwise: int  # every layer
    moe: int  # every MoE layer, besides the fused-MoE operation: router GEMM, top-k, shared expert


#: Kernels the fused-MoE operation launches one by one outside a graph (vLLM's fused_moe and SGLang's fork:
#: moe_align_block_size, the two grouped GEMMs of invoke_fused_moe_kernel, the activation, moe_sum), each
#: paying the engine's host time per launch; inside a graph the operation is floored as a whole.
FUSED_MOE_LAUNCHES = 5


def kernels_per_layer(a: LLMArchitecture) -> KernelCounts:
    """Kernels per layer in a decode iteration, counted from the modelling code of vLLM / SGLang
    (``models/llama.py``, ``models/deepseek_v2.py``, ``layers/fused_moe``) with their usual fusions.

    GQA: QKV and O GEMMs; one attention kernel; two add+RMSNorm kernels and RoPE with the KV-cache
    write; a dense MLP's gate_up and down GEMMs and its activation. MLA adds the query down-projection
    (when the query is low-rank) and the two absorbed per-head BMMs, and RMSNorms on the compressed
    query and KV; a model with per-head query and key norms (Qwen3's q_norm / k_norm) two RMSNorms more.
    An MoE layer runs the router GEMM and top-k, then the fused-MoE operation (token
    alignment, two grouped expert GEMMs, activation, k-way combine; floored as a whole), plus a shared
    expert's two GEMMs and activation when it has one.
    """
    attn_gemms, elementwise = 2, 3 + (2 if a.qk_norm else 0)
    if a.is_mla:
        attn_gemms += 2 + (1 if a.q_lora_rank else 0)
        elementwise += 1 + (1 if a.q_lora_rank else 0)
    moe = (2 + (3 if a.n_shared_experts else 0)) if a.is_moe else 0
    return KernelCounts(attention_gemms=attn_gemms, mlp_gemms=2, attention=1, elementwise=elementwise, moe=moe)


def _dense_gemm_kinds(a: LLMArchitecture) -> list[tuple[float, float, float | None, bool]]:
    """The dense GEMM kernels of a forward, in the order :func:`kernels_per_layer` counts them, as (how
    many, weights of one, its reduction depth K on a single GPU or None where a checkpoint does not
    quantise it, whether tensor parallelism splits K): GQA's QKV and O; MLA's fused q_a/kv_a
    down-projection (q and kv_a together without a low-rank query), q_b, the two absorbed per-head BMMs
    (not quantised) and O; a dense layer's gate_up and down; the LM head (not quantised).
    Column-parallel layers keep their whole input; row-parallel ones (O, down) split it."""
    h, H = a.hidden_size, a.heads
    attn: list[tuple[float, float | None, bool]]
    if a.is_mla:
        qk = a.qk_nope_head_dim + a.qk_rope_head_dim
        down = h * (a.kv_lora_rank + a.qk_rope_head_dim)
        attn = [(h * a.q_lora_rank + down, h, False), (a.q_lora_rank * H * qk, a.q_lora_rank, False)] if a.q_lora_rank else [(h * H * qk + down, h, False)]
        attn += [(a.kv_lora_rank * H * a.qk_nope_head_dim, None, False), (a.kv_lora_rank * H * a.v_head_dim, None, False), (H * a.v_head_dim * h, H * a.v_head_dim, True)]
    else:
        attn = [(h * (H + 2 * a.kv_heads) * a.head_dim, h, False), (H * a.head_dim * h, H * a.head_dim, True)]
    mlp = [((2 if a.ffn_gated else 1) * h * a.ffn_size, h, False), (a.ffn_size * h, a.ffn_size, True)]
    kinds = [(float(a.layers), w, k, split) for w, k, split in attn] + [(float(a.dense_layers), w, k, split) for w, k, split in mlp]
    kinds.append((1.0, a.vocab_size * h, None, False))
    return [(c, float(w), None if k is None else float(k), split) for c, w, k, split in kinds if c]


def dense_gemm_shares(a: LLMArchitecture) -> tuple[tuple[float, float], ...]:
    """The dense GEMM kernels of a forward as (how many, each one's share of the dense weights), in
    :func:`_dense_gemm_kinds`' order. Tensor parallelism splits every one of them alike, so the shares do
    not depend on it. The shares add up to 1 over the counts."""
    kinds = _dense_gemm_kinds(a)
    total = sum(c * w for c, w, _, _ in kinds)
    return tuple((c, w / total) for c, w, _, _ in kinds)


def dense_gemm_depths(a: LLMArchitecture, tp: Any) -> tuple[Any, ...]:
    """The reduction depth K on one GPU of each dense GEMM kernel, in :func:`dense_gemm_shares`'s order,
    for the linear layers a checkpoint quantises (None for the others)."""
    n = num(tp)
    return tuple(None if k is None else (k / n if split else k) for _, _, k, split in _dense_gemm_kinds(a))


def act_quant_kernels_per_layer(a: LLMArchitecture, fused: float = 0.0) -> tuple[float, float]:
    """Activation-quantisation kernels of a (dense, MoE) layer whose GEMMs take fp8/fp4 activations.

    One per quantised GEMM input: each attention GEMM (QKV and output; MLA's fused q_a/kv_a, q_b, the two
    absorbed batched GEMMs and the output), the dense MLP's gate_up and down, and a shared expert's two
    (the router GEMM and the LM head run at 16 bits, and the fused-MoE operation quantises inside it),
    less the ``fused`` inputs whose quantisation the engine does inside the norm or activation kernel
    that produces them."""
    kc = kernels_per_layer(a)
    shared = 2.0 if a.n_shared_experts else 0.0
    return max(kc.attention_gemms + kc.mlp_gemms - fused, 0.0), max(kc.attention_gemms + shared - fused, 0.0)


@dataclass(frozen=True)
class KernelFloors:
    """Shortest times of serving kernels launched from a CUDA/HIP graph: any kernel (launch, ramp-up
    and drain), one GEMM-class kernel (dense GEMM, batched MLA GEMM, router GEMM; 0: ``kernel_s``), and
    one fused-MoE operation (token alignment, two grouped GEMMs, activation and combine, which depend on
    each other) [s]. Zero: no floor.

    ``act_quant``: the GEMMs run at fp8/fp4 on quantised activations, so each quantised GEMM input
    launches a quantisation kernel (:func:`act_quant_kernels_per_layer`), except the
    ``act_quant_fused_per_layer`` inputs per layer whose quantisation the engine fuses into the
    preceding norm or activation kernel.

    ``gap_s``: the GPU's idle time between two consecutive dependent kernels (the next one's launch and
    ramp after the last block of the previous one exits), which a kernel time from its roofline leaves
    out; ``gap_visible_s``: the part of it a profiler shows between kernels, which is all a kernel time
    measured by a profiler (the floors above) leaves out [s].

    ``gemm_ramp_s``: the time a GEMM kernel takes beyond its roofline (filling and draining its
    pipeline, the last wave's tail), the gap before it excluded: a dense GEMM takes its roofline plus
    this, or its floor if longer [s].

    ``attention_ramp_s``: the time a paged decode-attention kernel takes beyond its roofline, the gap
    before it excluded, once per layer in an iteration that decodes; ``attention_unit_s``: its time per
    (decoding sequence x KV head on the GPU), the work unit of those kernels (block-table walk, split-KV
    combine, output). GQA/MHA attention; ``mla_attention_ramp_s`` and ``mla_attention_unit_s`` the same for
    MLA's decode kernels, whose unit is a decoding sequence (one latent head) [s]."""

    kernel_s: float = 0.0
    fused_moe_s: float = 0.0
    gemm_s: float = 0.0
    act_quant: bool = False
    act_quant_fused_per_layer: float = 0.0
    gap_s: float = 0.0
    gap_visible_s: float = 0.0
    gemm_ramp_s: float = 0.0
    attention_ramp_s: float = 0.0
    attention_unit_s: float = 0.0
    mla_attention_ramp_s: float = 0.0
    mla_attention_unit_s: float = 0.0


@dataclass(frozen=True)
class FusedMoeShape:
    """Efficiency of a Triton fused-MoE kernel (vLLM's, and SGLang's fork of it) by expert shape, from
    kernel-only timings of the whole operation (hardware_profiles/engines.toml ``[triton_fused_moe]``).

    ``stream_by_slab``: (smallest per-expert weight slab [bytes], fraction of HBM bandwidth), largest
    first: streaming falls with the weights one expert holds on a GPU, 3 x hidden x N x bytes for a
    gated expert of N columns per GPU. ``compute_anchors``: ((N0, f0), (N1, f1)): the compute fraction
    of 16-bit peak, log-linear in N through the two anchors and clamped to ``compute_clamp`` (None: the
    engine's ``fused_moe_frac``). ``quadrature``: the operation takes sqrt(W^2 + C^2) rather than
    max(W, C) of its streaming and compute times (its grouped GEMMs do not overlap the two fully).
    """

    stream_by_slab: tuple[tuple[float, float], ...] = ()
    compute_anchors: tuple[tuple[float, float], tuple[float, float]] | None = None
    compute_clamp: tuple[float, float] = (0.0, 1.0)
    quadrature: bool = False
    compute_scale: float = 1.0  # a calibration's multiplier on the compute fraction
    stream_scale: float = 1.0  # ... and on the streaming fraction

    def stream_frac(self, slab_bytes: float) -> float:
        for least, frac in self.stream_by_slab:
            if slab_bytes >= least:
                return min(frac * self.stream_scale, 1.0)
        return min(self.stream_by_slab[-1][1] * self.stream_scale, 1.0)

    def compute_frac(self, columns: float) -> float:
        assert self.compute_anchors is not None
        (n0, f0), (n1, f1) = self.compute_anchors
        lo, hi = self.compute_clamp
        f = f0 + (f1 - f0) * math.log(columns / n0) / math.log(n1 / n0)
        return min(min(max(f, lo), hi) * self.compute_scale, 1.0)


def each_value(fn: Any, x: Any) -> Any:
    """``fn`` of a float, or of each element of an array through the same Python arithmetic (so the
    float and array paths give identical numbers)."""
    if type(x) is float:
        return fn(x)
    arr = np.asarray(x, dtype=float)
    values, inverse = np.unique(arr, return_inverse=True)
    return np.array([fn(float(v)) for v in values])[inverse].reshape(arr.shape)


@dataclass(frozen=True)
class EngineTerms:
    """What a serving engine adds to the kernels' own time, and the MoE layout it runs.

    ``iteration_overhead_s``: host (scheduler, input preparation) time per iteration that its overlap
    scheduler does not hide; ``per_sequence_overhead_s``: host time per sequence in the iteration on top
    of it (engines that prepare inputs and process outputs per sequence between steps, e.g. vLLM V0). ``graph_max_batch``: the largest decode batch replayed from a CUDA graph;
    larger batches launch every kernel from the host, ``eager_launch_s`` of host time each, and as the host
    runs ahead of the GPU the iteration takes the longer of the GPU's time and the launches' sum.
    ``fused_moe_frac`` / ``fused_moe_stream_frac``: the engine's fused-MoE kernel efficiency (of the GEMM
    peak and of HBM bandwidth; None: the dense serving-GEMM figures).
    ``prefill_graph_max_tokens``: the most tokens an iteration with prompt tokens may hold and still
    replay a graph (0: prefill always runs eager, as in SGLang and TensorRT-LLM, whose graphs are for
    decode batches only); above it a prefill iteration is launched kernel by kernel as well.
    ``fused_moe_shape``: where set, the fused-MoE fractions follow the expert shape on each GPU
    (:class:`FusedMoeShape`) instead of the two fixed figures. ``separate_prefill``: the engine runs new prompts as prefill batches of their own between decode
    batches instead of mixing them into the decode batch (SGLang without ``--enable-mixed-chunk``); see
    :class:`SeparatePrefillTerms`. ``lumpy_prefill``: an engine that mixes prompts into the decode batch
    does so a whole prompt (or budget-sized chunk) at a time, not a P/O share of one in every step
    (:class:`MixedPrefillTerms`). ``expert_parallel``: each GPU holds
    whole experts (1/tp of them) instead of 1/tp of every expert, so the GPU whose experts receive the most
    tokens sets the pace (:func:`expert_load_imbalance`). ``attention_dp``: attention (and every other
    non-expert weight) is replicated and each GPU serves its own 1/tp of the sequences, so the KV cache is
    split by sequence rather than by head (the "DEP" layout of TensorRT-LLM and SGLang).
    """

    iteration_overhead_s: float = 0.0
    per_sequence_overhead_s: float = 0.0  # exposed host time per sequence in the iteration (older engines)
    graph_max_batch: float = float("inf")
    eager_launch_s: float = 0.0
    fused_moe_frac: float | None = None
    fused_moe_stream_frac: float | None = None
    expert_parallel: bool = False
    attention_dp: bool = False
    prefill_graph_max_tokens: float = float("inf")
    separate_prefill: bool = False
    lumpy_prefill: bool = False  # a prompt is prefilled whole in one iteration beside the decodes (MixedPrefillTerms)
    # kernel groups (dense GEMMs, experts, attention, elementwise) launched with programmatic dependent
    # launch, whose idle gaps between kernels the GPU hides (KernelFloors.gap_s)
    pdl: tuple[bool, bool, bool, bool] = (False, False, False, False)
    # an engine release whose quantised dense GEMMs run one fixed tile shape with no split-K at every size
    # (an untuned kernel-config table): each takes at least K / 128 of this, its K loop run serially by a
    # handful of workgroups; 0: tuned configs, the roofline and floors hold
    gemm_k_block_s: float = 0.0

    def graph_max_scale(self, tokens_per_unit: Any, with_prompt: Any) -> Any:
        """The scale above which an iteration runs without a CUDA graph: one holding prompt tokens
        (``with_prompt``) once its ``tokens_per_unit`` x scale tokens pass the prefill graphs' limit, a
        decode-only one above the largest decode graph. None: the engine states no prefill limit, and
        every iteration is judged by its decode graph."""
        if self.prefill_graph_max_tokens == float("inf"):
            return None
        whole = self.prefill_graph_max_tokens / tokens_per_unit
        if type(with_prompt) is bool and type(whole) is float:
            return whole if with_prompt else self.graph_max_batch
        return np.where(with_prompt, whole, self.graph_max_batch)
    fused_moe_shape: FusedMoeShape | None = None  # the fused-MoE efficiency by expert shape (replaces the fractions above)


def expert_load_imbalance(tokens: ArrayLike, experts_per_token: int, ranks: ArrayLike) -> np.ndarray:
    """Expected busiest-rank load over mean load when ``tokens`` x ``experts_per_token`` routed copies are
    spread over ``ranks`` expert-parallel GPUs [-].

    With uniform, independent routing a rank receives a binomial share (mean m = T k / n, standard
    deviation sqrt(m (1 - 1/n))); the largest of n such shares is about m + sigma sqrt(2 ln n) (the
    extreme-value approximation for n normal variables), i.e. 1 + sqrt(2 ln n (n - 1) / (T k)). Loads are
    whole tokens, so the busiest rank has at least ceil(m) of them, and at most all T k (n times the mean).
    Real routers are less uniform than this, so it is a lower bound on the imbalance.
    """
    n = np.maximum(np.asarray(ranks, dtype=float), 1.0)
    tk = np.maximum(np.asarray(tokens, dtype=float) * experts_per_token, 1e-12)
    m = tk / n
    return np.minimum(np.maximum(1.0 + np.sqrt(2.0 * np.log(n) * (n - 1.0) / tk), np.ceil(m - 1e-9) / m), n)
