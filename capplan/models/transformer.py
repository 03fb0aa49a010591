"""Transformer LLM serving: weights, KV cache, prefill and decode cost, and capacity under latency targets.

Continuous batching (Yu et al., "Orca", OSDI 2022; Kwon et al., "vLLM/PagedAttention", SOSP 2023;
Agrawal et al., "Sarathi-Serve", OSDI 2024) keeps B sequences in flight. In steady state every
iteration emits one token for each of the B sequences and, since B/O of them finish per iteration on
average (O = output length), admits as many new requests, whose prompts (P tokens each) are prefilled
in the same iteration (chunked prefill). A sequence's context grows from P to P+O: on average P + O/2.

Every function takes scalars or numpy arrays and does no I/O. Equations and sources:
docs/methodology.md, section "Text LLM".
"""

from __future__ import annotations

import bisect
import functools
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from capplan.models.device import DeviceRates, Number
from capplan.models.kernels import (  # noqa: F401  (re-exported: part of this module's interface)
    FUSED_MOE_LAUNCHES,
    EngineTerms,
    FusedMoeShape,
    KernelCounts,
    KernelFloors,
    act_quant_kernels_per_layer,
    dense_gemm_depths,
    dense_gemm_shares,
    each_value,
    expert_load_imbalance,
    kernels_per_layer,
)
from capplan.models.precision import FP8_BLOCK
from capplan.models.roofline import compute_time_s, link_time_s, maximum, memory_time_s, minimum, num


@dataclass(frozen=True)
class LLMArchitecture:
    """A decoder-only transformer as its config describes it (workloads/text/*.toml)."""

    layers: int
    hidden_size: int
    heads: int
    kv_heads: int
    head_dim: int
    ffn_size: int
    ffn_gated: bool
    vocab_size: int
    tied_embeddings: bool
    # mixture of experts (n_experts = 0: dense)
    n_experts: int = 0
    experts_per_token: int = 0
    n_shared_experts: int = 0
    expert_ffn_size: int = 0
    first_dense_layers: int = 0
    # multi-head latent attention (kv_lora_rank = 0: GQA/MHA)
    kv_lora_rank: int = 0
    q_lora_rank: int = 0
    qk_nope_head_dim: int = 0
    qk_rope_head_dim: int = 0
    v_head_dim: int = 0
    qk_norm: bool = False  # per-head RMSNorm of the queries and of the keys in every layer (Qwen3)

    # (cached on the frozen instance, outside its fields: a what-if reads them some fifty times)
    @functools.cached_property
    def is_moe(self) -> bool:
        return self.n_experts > 0

    @functools.cached_property
    def is_mla(self) -> bool:
        return self.kv_lora_rank > 0

    @functools.cached_property
    def moe_layers(self) -> int:
        return self.layers - self.first_dense_layers if self.is_moe else 0

    @functools.cached_property
    def dense_layers(self) -> int:
        return self.layers - self.moe_layers


@dataclass(frozen=True)
class ParamCounts:
    """Parameters by part, counted from the architecture [-]."""

    attention: float  # all layers
    dense_mlp: float  # all dense layers
    expert: float  # one routed expert (one layer)
    routed_experts: float  # all routed experts, all MoE layers
    shared_experts: float  # all MoE layers
    router: float
    embedding: float  # input embedding table
    lm_head: float  # output projection (0 extra if tied)

    @functools.cached_property
    def total(self) -> float:
        return self.attention + self.dense_mlp + self.routed_experts + self.shared_experts + self.router + self.embedding + self.lm_head

    @functools.cached_property
    def head(self) -> float:
        """The output projection: its own matrix, or the input embedding when they are tied."""
        return self.lm_head or self.embedding

    @functools.cached_property
    def always_active(self) -> float:
        """Weights every token uses except the routed experts (the embedding lookup excluded; the output
        projection included, as the embedding matrix itself when tied)."""
        return self.attention + self.dense_mlp + self.shared_experts + self.router + self.head


def param_counts(a: LLMArchitecture) -> ParamCounts:
    """Count parameters from the architecture (norms and biases, < 0.1%, are left out).

    Attention: GQA has Q and O of hidden x heads x head_dim and K, V of hidden x kv_heads x head_dim.
    MLA (DeepSeek-V2 paper, arXiv 2405.04434, sec. 2.1): Q through a rank-q_lora bottleneck, a joint
    compressed KV of kv_lora_rank + the decoupled RoPE key, up-projections to per-head K (nope) and V,
    and O. A gated MLP (SwiGLU) has three matrices, a plain one two.
    """
    h = a.hidden_size
    if a.is_mla:
        qk = a.qk_nope_head_dim + a.qk_rope_head_dim
        q = (h * a.q_lora_rank + a.q_lora_rank * a.heads * qk) if a.q_lora_rank else h * a.heads * qk
        kv = h * (a.kv_lora_rank + a.qk_rope_head_dim) + a.kv_lora_rank * a.heads * (a.qk_nope_head_dim + a.v_head_dim)
        o = a.heads * a.v_head_dim * h
        attn_layer = q + kv + o
    else:
        attn_layer = 2 * h * a.heads * a.head_dim + 2 * h * a.kv_heads * a.head_dim
    mats = 3 if a.ffn_gated else 2
    expert = mats * h * a.expert_ffn_size if a.is_moe else 0.0
    emb = a.vocab_size * h
    return ParamCounts(
        attention=float(attn_layer * a.layers),
        dense_mlp=float(mats * h * a.ffn_size * a.dense_layers),
        expert=float(expert),
        routed_experts=float(expert * a.n_experts * a.moe_layers),
        shared_experts=float(expert * a.n_shared_experts * a.moe_layers),
        router=float(h * a.n_experts * a.moe_layers),
        embedding=float(emb),
        lm_head=0.0 if a.tied_embeddings else float(emb),
    )


def kv_bytes_per_token(a: LLMArchitecture, kv_bytes: ArrayLike) -> np.ndarray:
    """KV-cache bytes one token occupies across all layers.

    GQA: 2 (K and V) x kv_heads x head_dim per layer. MLA caches the compressed latent and the RoPE
    key: kv_lora_rank + qk_rope_head_dim per layer (DeepSeek-V2 paper, table 1).
    """
    per_layer = (a.kv_lora_rank + a.qk_rope_head_dim) if a.is_mla else 2 * a.kv_heads * a.head_dim
    return per_layer * a.layers * num(kv_bytes)


def attention_flop_per_token(a: LLMArchitecture, context: ArrayLike, *, prefill: bool = False) -> np.ndarray:
    """Attention FLOPs of one new token attending to ``context`` earlier tokens (all layers).

    GQA: QK^T and PV are 2 x context x head_dim each per head. MLA has two forms (DeepSeek-V2 sec.
    2.1.3), and the serving engines run each where it is cheaper: decode in the absorbed form, scores over
    the latent + RoPE key and values from the latent (per head 2 (r_kv + d_rope) + 2 r_kv); a ``prefill``
    token in the multi-head form over up-projected keys and values (per head 2 (d_nope + d_rope) + 2 d_v,
    3.4x fewer FLOPs for DeepSeek-V3; vLLM's MLA backend: "compute friendly approach for prefill",
    vllm/v1/attention/backends/mla/common.py; SGLang's forward_normal for extend batches).
    """
    c = num(context)
    if a.is_mla and prefill:
        per_head = 2 * (a.qk_nope_head_dim + a.qk_rope_head_dim) + 2 * a.v_head_dim
    elif a.is_mla:
        per_head = 2 * (a.kv_lora_rank + a.qk_rope_head_dim) + 2 * a.kv_lora_rank
    else:
        per_head = 4 * a.head_dim
    return c * per_head * a.heads * a.layers


def expected_experts_touched(n_experts: int, experts_per_token: int, tokens: ArrayLike) -> np.ndarray:
    """Expected distinct routed experts a batch of ``tokens`` touches in one MoE layer.

    With uniform, independent routing each expert is missed by one token with probability 1 - k/E, so
    E [1 - (1 - k/E)^T] experts are touched (a standard occupancy result; real routers are less
    uniform, which touches fewer experts, so this is an upper bound on weight traffic).
    """
    if n_experts == 0:
        return np.zeros_like(np.asarray(tokens, dtype=float))
    t = np.asarray(tokens, dtype=float)
    return n_experts * (1.0 - (1.0 - experts_per_token / n_experts) ** t)


def elementwise_bytes_per_token(a: LLMArchitecture, act_bytes: ArrayLike = 2.0, tp: ArrayLike = 1) -> np.ndarray:
    """Activation bytes the non-GEMM kernels of one token move on each GPU, all layers.

    The kernels every serving framework runs between the GEMMs (vLLM, SGLang and TensorRT-LLM's Llama,
    Qwen and DeepSeek implementations): two fused residual-add + RMSNorm kernels per layer, each reading
    the hidden state and the residual and writing both (4 x hidden; replicated on every tensor-parallel
    rank); the gated activation (SiLU(gate) x up: reads 2 x ffn, writes ffn; a plain MLP reads and writes
    ffn), split over the ranks with the FFN. An MoE layer runs the activation on its k routed and shared
    experts' rows and sums the k routed outputs per token (reads k x hidden, writes hidden, on every rank).
    RoPE is fused into the attention kernels and sampling is left out (both < 1%). A per-head query and
    key RMSNorm (Qwen3) reads and writes the layer's queries and keys, split over the ranks with the heads.
    """
    h = a.hidden_size
    n = num(tp)
    act = 3 if a.ffn_gated else 2
    norms = 8.0 * h * a.layers + (2.0 * (a.heads + a.kv_heads) * a.head_dim * a.layers / n if a.qk_norm else 0.0)
    dense = act * a.ffn_size * a.dense_layers / n
    moe = (act * a.expert_ffn_size * (a.experts_per_token + a.n_shared_experts) / n + (a.experts_per_token + 1) * h) * a.moe_layers
    return (norms + dense + moe) * num(act_bytes)


@dataclass(frozen=True)
class AllReduce:
    """Cost of one all-reduce inside a tensor-parallel group.

    Serving frameworks run small all-reduces with a custom one-shot/two-shot kernel (TensorRT-LLM,
    vLLM, SGLang) and large ones with NCCL's ring or NVLS algorithm, whichever is faster:

        t = min( custom_latency_s + bytes / custom_bytes_per_s,
                 ring_latency_s + 2 (tp - 1) / tp x bytes / (link x bus_frac) )

    ``custom_*`` None: only the ring path.
    """

    ring_latency_s: float = 0.0
    bus_frac: float = 1.0
    custom_latency_s: float | None = None
    custom_bytes_per_s: float | None = None

    def time_s(self, bytes_moved: ArrayLike, tp: ArrayLike, link_bytes_per_s: ArrayLike) -> np.ndarray:
        b = num(bytes_moved)
        n = num(tp)
        ring = self.ring_latency_s + link_time_s(2.0 * (n - 1.0) / n * b, num(link_bytes_per_s) * self.bus_frac)
        if self.custom_latency_s is None or self.custom_bytes_per_s is None:
            return ring
        return minimum(ring, self.custom_latency_s + b / self.custom_bytes_per_s)


@dataclass(frozen=True)
class StepCost:
    flop: Number
    weight_bytes: Number
    kv_bytes: Number
    time_s: Number
    gemm_time_s: Number
    attention_time_s: Number
    communication_time_s: Number
    gemm_compute_s: Number
    gemm_memory_s: Number
    expert_compute_s: Number
    expert_memory_s: Number
    attention_compute_s: Number
    attention_memory_s: Number
    elementwise_bytes: Number = 0.0  # per GPU
    elementwise_memory_s: Number = 0.0
    expert_time_s: Number = 0.0  # the routed-expert part of gemm_time_s
    elementwise_time_s: Number = 0.0
    # the kernel-count floors (kernels x KernelFloors) of the dense-GEMM, expert, attention and elementwise groups
    gemm_floor_s: Number = 0.0
    expert_floor_s: Number = 0.0
    attention_floor_s: Number = 0.0
    elementwise_floor_s: Number = 0.0
    overhead_s: Number = 0.0  # the engine's exposed host time per iteration
    # idle time between consecutive kernels of the dense-GEMM, expert, attention and elementwise groups,
    # inside their times above (gemm_time_s holds the first two; the all-reduces' own are measured ones)
    gemm_gap_s: Number = 0.0
    expert_gap_s: Number = 0.0
    attention_gap_s: Number = 0.0
    elementwise_gap_s: Number = 0.0
    # the dense GEMMs' ramps beyond their rooflines (KernelFloors.gemm_ramp_s), inside gemm_time_s
    gemm_ramp_s: Number = 0.0
    # decode attention's time beyond its roofline (KernelFloors.attention_ramp_s and attention_unit_s),
    # inside attention_time_s
    attention_ramp_s: Number = 0.0

    def at(self, k: int) -> StepCost:
        """The step at index ``k`` of array-valued fields (scalar fields as they are), as floats."""

        def pick(x: Number) -> float:
            if type(x) is float:
                return x
            v = np.asarray(x, dtype=float).reshape(-1)
            return float(v[k] if v.size > 1 else v[0])

        # (built without __init__, as StepTerms.part: every field is set here, and a what-if runs this)
        out = object.__new__(StepCost)
        out.__dict__.update({name: pick(v) for name, v in self.__dict__.items()})
        return out


@dataclass(frozen=True)
class StepTerms:
    """One serving iteration's work, split into what grows in proportion to a ``scale`` (every token
    count of the iteration multiplied by it) and what does not (weights read, kernel floors).

    :func:`step_terms` builds it for a mix of decode and prefill tokens; :meth:`at` prices the mix
    ``scale`` times over. A steady-state iteration at batch B is the mix of one sequence scaled by B,
    so a batch search evaluates :meth:`time_s` many times without recounting the work. Times per unit
    of scale are already divided over the ``tp`` GPUs and by the achieved rates.
    """

    tokens: Number  # tokens of the unit mix
    flop_dense: Number
    flop_expert: Number
    flop_attn: Number
    dense_bytes: Number  # weights read once per iteration, whatever the scale
    expert_bytes_per_expert: Number  # one routed expert's weights in every MoE layer
    kv_read: Number
    ew_bytes: Number  # per GPU
    gc: Number  # dense GEMM compute time per unit [s]
    gm: Number  # dense weight streaming [s], constant
    ec: Number  # expert GEMM compute per unit [s]
    em_per_expert: Number  # streaming one expert's weights in every MoE layer [s]
    ac: Number  # attention compute per unit [s]
    am: Number  # KV reads per unit [s]
    ewm: Number  # elementwise traffic per unit [s]
    ar_bytes: Number  # all-reduce payload per unit
    tp: Number
    n_experts: int
    experts_per_token: int
    n_allreduce: int
    link_bytes_per_s: Number
    allreduce: AllReduce
    f_dense: float
    f_expert: float
    f_attn: float
    f_ew: float
    is_moe: bool
    # engine terms (defaults: none)
    overhead_s: float = 0.0
    overhead_per_unit_s: Number = 0.0  # host time per unit of scale (per-sequence host work)
    graph_max_scale: Number = float("inf")  # above this scale the iteration runs without a CUDA graph
    host_eager_s: float = 0.0  # host time to launch the iteration's kernels without a graph
    moe_quadrature: bool = False  # the fused-MoE operation takes sqrt(W^2 + C^2), not max(W, C)
    f_moe_fixed: float = 0.0  # the fused-MoE operations' fixed time per iteration (all MoE layers) [s]
    ep_ranks: Number = 1.0  # expert-parallel GPUs (1: experts split by tensor parallelism, balanced)
    # kernels of the expert, attention and elementwise groups per iteration (the dense GEMMs': dense_mix),
    # and the GPU's idle time before each (KernelFloors.gap_s / gap_visible_s; 0 in a group whose kernels
    # the engine launches with programmatic dependent launch): see _gaps
    k_expert: float = 0.0
    k_attn: float = 0.0
    k_ew: float = 0.0
    gap_s: float = 0.0
    gap_visible_s: float = 0.0
    pdl: tuple[bool, bool, bool, bool] = (False, False, False, False)
    # the dense GEMM kernels as (how many, each one's share of the group's roofline): see _dense
    dense_mix: tuple[tuple[float, float], ...] = ()
    g_floor_dense: float = 0.0  # the floor of one dense GEMM kernel [s]
    g_ramp_dense: float = 0.0  # the time a dense GEMM takes beyond its roofline (KernelFloors.gemm_ramp_s) [s]
    # the dense GEMMs' time beyond their floors per iteration where the engine runs them with an untuned
    # fixed-tile config (EngineTerms.gemm_k_block_s): each kernel's serial K loop [s]
    dense_fixed_s: Any = 0.0
    # decode attention beyond its roofline: per unit of scale (its work units, KernelFloors.attention_unit_s)
    # and per iteration (its kernels' ramps, KernelFloors.attention_ramp_s) [s]
    au: Any = 0.0
    ramp_attn: Any = 0.0

    def _dense(self, roofline: Any) -> tuple[Any, Any, Any]:
        """(time, of which idle gaps, of which ramps) of the dense GEMMs whose roofline together is
        ``roofline``: each kernel takes the longer of its share of it plus the ramp and one GEMM's floor,
        as the floor is defined per kernel, and waits the gap a kernel of its kind waits (:meth:`_gaps`)."""
        # A kind is floored where R x share < f, so with the kinds in ascending share the m floored at R are
        # the first m, and the group takes R (1 - their shares) + f (their count): one formula, no pass per kind.
        f, ramp = self.g_floor_dense, self.g_ramp_dense
        mix = sorted(self.dense_mix, key=lambda cw: cw[1])
        floored_counts, floored_shares = [0.0], [0.0]
        for count, share in mix:
            floored_counts.append(floored_counts[-1] + count)
            floored_shares.append(floored_shares[-1] + count * share)
        # (a kernel is floored where R x share + ramp < f)
        thresholds = [(f - ramp) / share for _, share in reversed(mix)]  # ascending
        if type(roofline) is float:  # (the scalar path: Python floats, the same operations as on arrays)
            m = len(mix) - bisect.bisect_right(thresholds, roofline)
            ramps = ramp * (floored_counts[-1] - floored_counts[m])
            time = roofline * (1.0 - floored_shares[m]) + ramps + f * floored_counts[m]
            gaps = 0.0 if self.pdl[0] or not self.gap_s else self.gap_s * (floored_counts[-1] - floored_counts[m]) + self.gap_visible_s * floored_counts[m]
            return time, gaps, ramps
        r = np.asarray(roofline, dtype=float)
        idx = len(mix) - np.searchsorted(np.array(thresholds), r, side="right")
        counts, shares = np.array(floored_counts), np.array(floored_shares)
        ramps_a = ramp * (counts[-1] - counts[idx])
        time_a = r * (1.0 - shares[idx]) + ramps_a + f * counts[idx]
        if self.pdl[0] or not self.gap_s:
            return time_a, 0.0, ramps_a
        return time_a, self.gap_s * (counts[-1] - counts[idx]) + self.gap_visible_s * counts[idx], ramps_a

    def _gaps(self, i: int, work: Any, floor: float, k: float) -> Any:
        """Idle time before the ``k`` kernels of group ``i`` (dense GEMMs, experts, attention, elementwise):
        the whole gap where the group's time is its roofline (an analytic duration holds none of it), the
        part a profiler shows between kernels where it is the group's floor (measured durations hold the
        rest), none where the engine launches the group with PDL."""
        if self.pdl[i] or not k or not self.gap_s:
            return 0.0
        if type(work) is float:
            return k * (self.gap_s if work >= floor else self.gap_visible_s)
        return k * np.where(work >= floor, self.gap_s, self.gap_visible_s)

    def _host(self, s: Any) -> Any:
        """Host time of launching the iteration's kernels one by one where it runs without a graph, else 0."""
        g = self.graph_max_scale
        if type(g) is float and g == float("inf") or self.host_eager_s == 0.0:  # every iteration replays a graph
            return 0.0
        eager = s > g + 1e-6  # (a batch of exactly the limit replays its graph, whatever a fluid count's last bits)
        if type(eager) is bool:
            return self.host_eager_s if eager else 0.0
        return np.where(eager, self.host_eager_s, 0.0)

    def _imbalance(self, s: ArrayLike) -> np.ndarray:
        return expert_load_imbalance(np.asarray(self.tokens, dtype=float) * s, self.experts_per_token, self.ep_ranks)

    def _expert_s(self, s: np.ndarray, f_expert: float) -> tuple[np.ndarray, np.ndarray, np.ndarray, Any]:
        """(compute, weight streaming, time, of which idle gaps between kernels) of the routed experts on
        the busiest GPU."""
        imb = self._imbalance(s)
        ec = self.ec * s * imb
        touched = np.minimum(self._touched(s) * imb, float(self.n_experts))
        em = self.em_per_expert * touched
        work = np.sqrt(ec * ec + em * em) if self.moe_quadrature else np.maximum(ec, em)
        # the fused-MoE operation's fixed part (token alignment, launches of its dependent kernels) runs
        # before and between its grouped GEMMs, so it adds to their time; the group floor still holds
        busy = work + self.f_moe_fixed
        gap = self._gaps(1, busy, f_expert, self.k_expert)
        t = np.maximum(busy, f_expert)
        return ec, em, (t + gap if self.gap_s else t), gap

    def part(self, i: Any) -> StepTerms:
        """These terms at index ``i`` of the first axis of their array fields: mix ``i`` of mixes stacked
        there (see :func:`serving_terms_stacked`), or, with an index array, scenarios gathered from terms
        built once per distinct scenario."""
        # (built without __init__: the fields are already checked, and this runs on every estimate)
        out = object.__new__(StepTerms)
        out.__dict__.update({k: v[i] if isinstance(v, np.ndarray) and v.ndim > 0 else v for k, v in self.__dict__.items()})
        return out

    def _touched(self, s: ArrayLike) -> np.ndarray:
        return expected_experts_touched(self.n_experts, self.experts_per_token, np.asarray(self.tokens, dtype=float) * s)

    def _comm(self, s: ArrayLike) -> np.ndarray:
        n = num(self.tp)
        t = self.n_allreduce * self.allreduce.time_s(num(self.ar_bytes) * s, n, self.link_bytes_per_s)
        if type(n) is float and type(t) is float:
            return t if n > 1 else 0.0
        return np.where(n > 1, t, 0.0)

    def time_s(self, scale: ArrayLike) -> np.ndarray:
        """Iteration time at ``scale`` [s] (the sum of :meth:`at`'s groups, computed with fewer steps).
        Python floats throughout (see :meth:`floats`) give a float, with the same operations."""
        s = num(scale)
        dense, ew = maximum(self.gc * s, self.gm), self.ewm * s
        attn = maximum(self.ac * s, self.am * s + self.au * s) + self.ramp_attn
        t_dense, g_dense, _ = self._dense(dense)
        t = t_dense + self.dense_fixed_s + maximum(attn, self.f_attn) + maximum(ew, self.f_ew)
        if self.gap_s:
            t = t + g_dense + self._gaps(2, attn, self.f_attn, self.k_attn) + self._gaps(3, ew, self.f_ew, self.k_ew)
        if self.is_moe:
            t = t + self._expert_s(s, self.f_expert)[2]
        t = t + self._comm(s)
        if self.host_eager_s:  # (the host launches ahead of the GPU: the slower of the two sets the pace)
            t = maximum(t, self._host(s))
        return t + self.overhead_s + self.overhead_per_unit_s * s

    def at(self, scale: ArrayLike = 1.0) -> StepCost:
        """The iteration with every token count multiplied by ``scale``, by kernel group."""
        s = num(scale)
        touched = self._touched(s) if self.is_moe else 0.0 * s  # (no experts: none touched)
        f_dense, f_expert, f_attn, f_ew = self.f_dense, self.f_expert, self.f_attn, self.f_ew
        gc, ac, am, ewm = self.gc * s, self.ac * s, self.am * s, self.ewm * s
        if self.is_moe:
            ec, em, t_expert, g_expert = self._expert_s(s, f_expert)
        else:  # no routed experts: their compute, traffic and time are nothing (what _expert_s gives them)
            ec = em = t_expert = g_expert = 0.0 * gc
        t_dense, g_dense, r_dense = self._dense(maximum(gc, self.gm))
        unit = self.au * s
        ramp_attn = unit + self.ramp_attn
        attn = maximum(ac, am + unit) + self.ramp_attn
        g_attn = self._gaps(2, attn, f_attn, self.k_attn)
        g_ew = self._gaps(3, ewm, f_ew, self.k_ew)
        t_gemm = t_dense + self.dense_fixed_s + g_dense + t_expert
        t_attn = maximum(attn, f_attn) + g_attn
        t_ew = maximum(ewm, f_ew) + g_ew
        t_comm = self._comm(s)
        gpu = t_gemm + t_attn + t_ew + t_comm
        # launching the kernels one by one from the host, when it is slower than the GPU, is exposed host time
        exposed = maximum(self._host(s) - gpu, 0.0) if self.host_eager_s else 0.0 * gpu
        host = self.overhead_s + self.overhead_per_unit_s * s + exposed
        return StepCost(
            flop=(self.flop_dense + self.flop_expert + self.flop_attn) * s,
            weight_bytes=self.dense_bytes + self.expert_bytes_per_expert * touched,
            kv_bytes=self.kv_read * s,
            time_s=gpu + host,
            overhead_s=host,
            gemm_time_s=t_gemm,
            attention_time_s=t_attn,
            communication_time_s=t_comm,
            gemm_compute_s=gc,
            gemm_memory_s=self.gm,
            expert_compute_s=ec,
            expert_memory_s=em,
            attention_compute_s=ac,
            attention_memory_s=am,
            elementwise_bytes=self.ew_bytes * s,
            elementwise_memory_s=ewm,
            expert_time_s=t_expert,
            elementwise_time_s=t_ew,
            gemm_floor_s=f_dense,
            expert_floor_s=f_expert if self.is_moe else 0.0,
            attention_floor_s=f_attn,
            elementwise_floor_s=f_ew,
            gemm_gap_s=g_dense,
            expert_gap_s=g_expert,
            attention_gap_s=g_attn,
            elementwise_gap_s=g_ew,
            gemm_ramp_s=r_dense,
            attention_ramp_s=ramp_attn,
        )


def _untuned_dense_s(a: LLMArchitecture, tp: Any, k_block_s: float, floor_s: float) -> Any:
    """Time per iteration by which the quantised dense GEMMs of an untuned fixed-tile config exceed their
    floors [s]: each takes (K / FP8_BLOCK) x ``k_block_s`` (its workgroups step through K serially, one
    scale block deep at a time), which at serving batch sizes is far above its roofline, so only the
    excess over the floor it already pays is added."""
    total: Any = 0.0
    for (count, _), depth in zip(dense_gemm_shares(a), dense_gemm_depths(a, tp)):
        if depth is not None:
            total = total + count * maximum(depth / FP8_BLOCK * k_block_s - floor_s, 0.0)
    return total


@dataclass(frozen=True)
class SeparatePrefillTerms:
    """The steady state of ONE sequence, to be scaled by the batch, on an engine that runs new prompts
    as prefill batches of their own between decode batches (SGLang's scheduler: a waiting prompt is
    prefilled before the next decode batch unless ``--enable-mixed-chunk`` is set).

    At batch B, B / O prompts arrive per decode step. When that is below one, a share B / O of the
    steps is followed by one prompt's prefill; above it every step is followed by one prefill batch of
    the B / O prompts that arrived. Each prefill batch reads the weights (and the experts its tokens
    touch) once and runs outside the decode CUDA graph, so per decode step

        t(B) = t_decode(B) + min(B/O, 1) x t_prefill(max(B/O, 1) prompts)

    (a prefill batch over the engine's chunk budget would run as several: not modelled). TPOT as a
    benchmark measures it, (E2E - TTFT) / (O - 1), includes the prefills that interrupt decoding, as t does.
    """

    decode: StepTerms  # one decoding sequence
    prompt: StepTerms  # one prompt's prefill
    output_tokens: Number

    def _split(self, s: Any) -> tuple[Any, Any]:
        arriving = s / num(self.output_tokens)
        return minimum(arriving, 1.0), maximum(arriving, 1.0)

    def prefill_s(self, scale: ArrayLike) -> Any:
        """The prefill part of :meth:`time_s` [s]."""
        s = num(scale)
        share, prompts = self._split(s)
        return share * self.prompt.time_s(prompts)

    def time_s(self, scale: ArrayLike) -> Any:
        s = num(scale)
        return self.decode.time_s(s) + self.prefill_s(s)

    def at(self, scale: ArrayLike = 1.0) -> StepCost:
        s = num(scale)
        share, prompts = self._split(s)
        d, p = self.decode.at(s), self.prompt.at(prompts)
        out = object.__new__(StepCost)
        out.__dict__.update({k: v + share * p.__dict__[k] for k, v in d.__dict__.items()})
        return out

    def part(self, i: Any) -> SeparatePrefillTerms:
        """As :meth:`StepTerms.part`."""
        o = self.output_tokens
        return SeparatePrefillTerms(self.decode.part(i), self.prompt.part(i), o[i] if isinstance(o, np.ndarray) and o.ndim > 0 else o)


@dataclass(frozen=True)
class MixedPrefillTerms:
    """The steady state of ONE sequence, to be scaled by the batch, on an engine that mixes new prompts
    into the decode batch (vLLM's chunked prefill, TensorRT-LLM's in-flight batching).

    A prompt is prefilled in one iteration beside the running decodes (or a few, when it is longer than
    the token budget), not a P/O share of it in every step. When B/O >= 1 prompts arrive per step each
    iteration does hold about B/O of them, which is the even spread (``spread``: every step B decodes
    plus B·P/O prompt tokens). Below one, a share B/O of the steps holds one prompt and the rest decode
    only, which the prefill-apart form (``apart``, :class:`SeparatePrefillTerms`) prices with one extra
    read of the decode step's weights in those steps. Each form is exact in its regime and an upper
    bound in the other (the spread touches experts for prompt tokens in every step; the apart form reads
    the weights twice in a prompt's step), so

        t(B) = min( t_spread(B), t_decode(B) + min(B/O, 1) x t_prefill(max(B/O, 1) prompts) )

    which, as the smaller of two non-decreasing functions of B, is non-decreasing too.
    """

    spread: StepTerms  # the even spread of prompt tokens over the decode steps
    spread_prefill: StepTerms  # its prefill tokens alone (for the prefill share)
    apart: SeparatePrefillTerms

    @property
    def decode(self) -> StepTerms:
        return self.apart.decode

    def _apart_wins(self, s: Any) -> Any:
        return self.apart.time_s(s) < self.spread.time_s(s)

    def prefill_s(self, scale: ArrayLike) -> Any:
        """The prefill part of :meth:`time_s` [s]."""
        s = num(scale)
        wins = self._apart_wins(s)
        if type(wins) is bool:
            return self.apart.prefill_s(s) if wins else self.spread_prefill.time_s(s)
        return np.where(wins, self.apart.prefill_s(s), self.spread_prefill.time_s(s))

    def time_s(self, scale: ArrayLike) -> Any:
        s = num(scale)
        return minimum(self.apart.time_s(s), self.spread.time_s(s))

    def at(self, scale: ArrayLike = 1.0) -> StepCost:
        s = num(scale)
        wins = self._apart_wins(s)
        a, b = self.apart.at(s), self.spread.at(s)
        if type(wins) is bool:
            return a if wins else b
        out = object.__new__(StepCost)
        out.__dict__.update({k: np.where(wins, v, b.__dict__[k]) for k, v in a.__dict__.items()})
        return out

    def part(self, i: Any) -> MixedPrefillTerms:
        """As :meth:`StepTerms.part`."""
        return MixedPrefillTerms(self.spread.part(i), self.spread_prefill.part(i), self.apart.part(i))


#: A steady state's terms: prompts spread evenly over the decode steps, prefill batches of their own,
#: or prompts mixed whole into some of the decode steps.
SteadyTerms = StepTerms | SeparatePrefillTerms | MixedPrefillTerms


@functools.lru_cache(maxsize=256)
def _counts_by_value(a: LLMArchitecture) -> tuple[ParamCounts, KernelCounts]:
    return param_counts(a), kernels_per_layer(a)


def _counts(a: LLMArchitecture) -> tuple[ParamCounts, KernelCounts]:
    # kept on the instance as well: hashing the 19 fields for the lru_cache was ~1.5 us a call
    counts = a.__dict__.get("_counts")
    if counts is None:
        counts = a.__dict__["_counts"] = _counts_by_value(a)
    return counts  # type: ignore[no-any-return]


def step_terms(
    a: LLMArchitecture,
    device: DeviceRates,
    *,
    decode_tokens: ArrayLike,
    decode_context: ArrayLike,
    prefill_tokens: ArrayLike,
    prefill_context: ArrayLike,
    weight_bytes_per_param: ArrayLike,
    kv_bytes: ArrayLike = 2.0,
    act_bytes: float = 2.0,
    tp: ArrayLike = 1,
    allreduce: AllReduce | None = None,
    prefill_sequences: ArrayLike | None = None,
    floors: KernelFloors | None = None,
    engine: EngineTerms | None = None,
    graph_max_scale: ArrayLike | None = None,
) -> StepTerms:
    """The work of one serving iteration (see :func:`step_cost`), ready to be priced at any scale.
    ``graph_max_scale``: above this scale the iteration runs without a CUDA graph (None: above the
    engine's largest graphed decode batch)."""
    pc, kc = _counts(a)
    d = num(decode_tokens)
    p = num(prefill_tokens)
    n = num(tp)
    tokens = d + p
    wb = num(weight_bytes_per_param)
    logits = d + (p if prefill_sequences is None else minimum(num(prefill_sequences), p))
    flop_dense = 2.0 * (pc.always_active - pc.head) * tokens + 2.0 * pc.head * logits
    flop_expert = (2.0 * pc.expert * a.experts_per_token * a.moe_layers) * tokens
    flop_attn = attention_flop_per_token(a, decode_context) * d + attention_flop_per_token(a, prefill_context, prefill=True) * p
    dense_bytes = pc.always_active * wb
    expert_bytes = pc.expert * a.moe_layers * wb
    # Each decoding sequence reads its whole cache once per token and writes its new token's K/V. A
    # prefill chunk writes its own K/V and reads it back tile by tile from on-chip memory
    # (FlashAttention), so its HBM traffic is about one write and one read of its tokens' cache.
    kv_read = kv_bytes_per_token(a, kv_bytes) * (d * (num(decode_context) + 1.0) + 2.0 * p)
    # (under attention data parallelism each GPU runs the whole layer on its own 1/n of the tokens)
    dp = engine is not None and engine.attention_dp
    ew_bytes = elementwise_bytes_per_token(a, act_bytes, 1.0) * tokens / n if dp else elementwise_bytes_per_token(a, act_bytes, n) * tokens

    # The dense GEMMs, the routed-expert GEMMs and attention are separate kernels that run one after
    # the other in every layer, so each gets its own roofline and their times add: at serving batch
    # sizes the dense GEMMs are compute-bound while each expert sees only batch x k / E tokens and is
    # bound by reading its weights. Each GPU holds 1/tp of weights, heads and KV cache.
    # Serving kernels (GEMMs at serving shapes, weight-streaming decode GEMMs, paged-KV attention)
    # reach less than the best-shape and STREAM figures; DeviceRates carries their own fractions.
    bw = device.memory_bandwidth_bytes_per_s
    gemm_frac = device.serving_gemm_frac if device.serving_gemm_frac is not None else device.gemm_frac
    stream_frac = device.weight_stream_frac if device.weight_stream_frac is not None else device.memory_bandwidth_frac
    kv_frac = device.kv_bandwidth_frac if device.kv_bandwidth_frac is not None else device.memory_bandwidth_frac
    fl = floors or KernelFloors()
    en = engine or EngineTerms()
    floor = fl.kernel_s
    moe_gemm_frac: Any = en.fused_moe_frac if en.fused_moe_frac is not None else gemm_frac
    moe_stream_frac: Any = en.fused_moe_stream_frac if en.fused_moe_stream_frac is not None else stream_frac
    shape = en.fused_moe_shape
    if shape is not None and a.is_moe:
        # the columns of one expert on each GPU: all of them under expert parallelism, 1/tp otherwise
        ways = 1.0 if en.expert_parallel else n
        columns = a.expert_ffn_size / ways
        slab = pc.expert * wb / ways  # one expert's weights on each GPU
        if shape.stream_by_slab:
            moe_stream_frac = each_value(shape.stream_frac, slab)
        if shape.compute_anchors is not None:
            moe_gemm_frac = each_value(shape.compute_frac, columns)
    # Attention data parallelism replicates every non-expert weight, so each GPU streams all of them; the
    # KV cache (and its reads) is split over the GPUs that hold distinct sequences or heads.
    dense_split = 1.0 if en.attention_dp else n
    kv_split = kv_shard(a, n, en.attention_dp)
    dense_mix = dense_gemm_shares(a)
    n_dense_kernels = sum(count for count, _ in dense_mix)  # (kernels_per_layer's GEMMs, the LM head included)
    n_ew_kernels = kc.elementwise * a.layers + a.dense_layers
    gemm_floor = max(floor, fl.gemm_s)
    moe_gemms = (1 + (2 if a.n_shared_experts else 0)) if a.is_moe else 0  # the router and a shared expert's two
    q_dense, q_moe = act_quant_kernels_per_layer(a, fl.act_quant_fused_per_layer) if fl.act_quant else (0.0, 0.0)
    n_quant = q_dense * a.dense_layers + q_moe * a.moe_layers
    # (the elementwise group also holds each dense MLP's activation kernel; the +1 GEMM is the LM head)
    out = object.__new__(StepTerms)  # (every field is given: __init__ would only set them, one by one)
    out.__dict__.update(
        tokens=tokens,
        flop_dense=flop_dense,
        flop_expert=flop_expert,
        flop_attn=flop_attn,
        dense_bytes=dense_bytes,
        expert_bytes_per_expert=expert_bytes,
        kv_read=kv_read,
        ew_bytes=ew_bytes,
        gc=compute_time_s(flop_dense / n, device.gemm_flop_per_s, gemm_frac),
        gm=memory_time_s(dense_bytes / dense_split, bw, stream_frac),
        ec=compute_time_s(flop_expert / n, device.gemm_flop_per_s, moe_gemm_frac),
        em_per_expert=memory_time_s(expert_bytes / n, bw, moe_stream_frac),
        ac=compute_time_s(flop_attn / n, device.bf16_flop_per_s, device.attention_frac),
        am=memory_time_s(kv_read / kv_split, bw, kv_frac),
        ewm=memory_time_s(ew_bytes, bw, device.memory_bandwidth_frac),
        ar_bytes=tokens * a.hidden_size * act_bytes,
        tp=n,
        n_experts=a.n_experts,
        experts_per_token=a.experts_per_token,
        n_allreduce=2 * a.layers,
        link_bytes_per_s=device.scale_up_bytes_per_s,
        allreduce=allreduce if allreduce is not None else AllReduce(),
        f_dense=gemm_floor * n_dense_kernels,
        f_expert=(gemm_floor * moe_gemms + floor * (kc.moe - moe_gemms) + fl.fused_moe_s) * a.moe_layers,
        f_moe_fixed=fl.fused_moe_s * a.moe_layers,
        f_attn=floor * kc.attention * a.layers,
        f_ew=floor * (n_ew_kernels + n_quant),
        is_moe=a.is_moe,
        overhead_s=en.iteration_overhead_s,
        overhead_per_unit_s=(
            en.per_sequence_overhead_s * (d + (0.0 if prefill_sequences is None else num(prefill_sequences)))
            if en.per_sequence_overhead_s else 0.0
        ),
        graph_max_scale=en.graph_max_batch if graph_max_scale is None else num(graph_max_scale),
        # (host time per kernel is measured per kernel as kernels_per_layer counts them, quantisation aside)
        moe_quadrature=shape is not None and shape.quadrature and a.is_moe,
        host_eager_s=en.eager_launch_s * (n_dense_kernels + (kc.moe + FUSED_MOE_LAUNCHES) * a.moe_layers + kc.attention * a.layers + n_ew_kernels),
        ep_ranks=n if en.expert_parallel else 1.0,
        # (the fused-MoE operation counts as one kernel: its floor was timed as a whole; the all-reduce
        # kernels' times are measured ones, gaps included)
        dense_mix=dense_mix,
        g_floor_dense=gemm_floor,
        g_ramp_dense=fl.gemm_ramp_s,
        dense_fixed_s=_untuned_dense_s(a, n, en.gemm_k_block_s, gemm_floor) if en.gemm_k_block_s else 0.0,
        # (MLA: one latent head, on every GPU under tensor parallelism, split by sequence under attention DP)
        au=(fl.mla_attention_unit_s * d / kv_split if a.is_mla else fl.attention_unit_s * d * float(a.kv_heads) / kv_split) * kc.attention * a.layers,
        ramp_attn=(fl.mla_attention_ramp_s if a.is_mla else fl.attention_ramp_s) * kc.attention * a.layers * (d > 0),
        k_expert=float((kc.moe + 1) * a.moe_layers),
        k_attn=float(kc.attention * a.layers),
        k_ew=float(n_ew_kernels + n_quant),
        gap_s=fl.gap_s,
        gap_visible_s=fl.gap_visible_s,
        pdl=en.pdl,
    )
    return out


def step_cost(
    a: LLMArchitecture,
    device: DeviceRates,
    *,
    decode_tokens: ArrayLike,
    decode_context: ArrayLike,
    prefill_tokens: ArrayLike,
    prefill_context: ArrayLike,
    weight_bytes_per_param: ArrayLike,
    kv_bytes: ArrayLike = 2.0,
    act_bytes: float = 2.0,
    tp: ArrayLike = 1,
    allreduce: AllReduce | None = None,
    prefill_sequences: ArrayLike | None = None,
    floors: KernelFloors | None = None,
    engine: EngineTerms | None = None,
) -> StepCost:
    """Time of one serving iteration of a tensor-parallel replica.

    ``decode_tokens`` sequences each emit one token with ``decode_context`` tokens of history;
    ``prefill_tokens`` prompt tokens are processed in the same iteration, attending on average to
    ``prefill_context`` earlier tokens (P/2 for causal attention over a prompt of P). Only the last token
    of each of the ``prefill_sequences`` prompts needs logits, so the output projection runs on decode
    tokens plus those (None: on every prefill token).

    Rooflines per kernel group, added: the dense GEMMs and (MoE) the routed-expert GEMMs (FLOPs at the
    GEMM rate vs. the bytes of weights touched, once per iteration for the whole batch) and attention
    (FLOPs at the attention rate vs. the KV cache read), each split over ``tp`` GPUs. Tensor parallelism adds
    two all-reduces per layer of the iteration's activations (Megatron-LM, Shoeybi et al. 2019, sec.
    3), each costed by ``allreduce`` (:class:`AllReduce`; default: an ideal ring at link rate).

    No kernel runs faster than ``floors.kernel_s`` and no fused-MoE operation faster than
    ``floors.fused_moe_s`` (:class:`KernelFloors`), so each group takes at least its kernel count
    (:func:`kernels_per_layer`) times those per layer; this is what bounds small-batch decode of
    many-layer models.
    """
    return step_terms(
        a, device, decode_tokens=decode_tokens, decode_context=decode_context, prefill_tokens=prefill_tokens,
        prefill_context=prefill_context, weight_bytes_per_param=weight_bytes_per_param, kv_bytes=kv_bytes, act_bytes=act_bytes,
        tp=tp, allreduce=allreduce, prefill_sequences=prefill_sequences, floors=floors, engine=engine,
    ).at(1.0)


def steady_state_terms(
    a: LLMArchitecture,
    device: DeviceRates,
    *,
    prompt_tokens: ArrayLike,
    output_tokens: ArrayLike,
    weight_bytes_per_param: ArrayLike,
    kv_bytes: ArrayLike = 2.0,
    tp: ArrayLike = 1,
    act_bytes: float = 2.0,
    allreduce: AllReduce | None = None,
    floors: KernelFloors | None = None,
    engine: EngineTerms | None = None,
) -> SteadyTerms:
    """The steady-state continuous-batching iteration of ONE sequence, to be scaled by the batch.

    Per sequence in flight: one decode token at mean context P + O/2, plus P / O prompt tokens of new
    requests (1 / O prompts, attending to P/2 on average). (:func:`serving_terms_stacked` builds this
    mix beside its prefill and decode parts in one pass.)
    """
    P, O = np.asarray(prompt_tokens, dtype=float), np.asarray(output_tokens, dtype=float)
    kw = dict(weight_bytes_per_param=weight_bytes_per_param, kv_bytes=kv_bytes, act_bytes=act_bytes, allreduce=allreduce, floors=floors, engine=engine)
    if engine is not None and (engine.separate_prefill or engine.lumpy_prefill):
        # (the four iterations as the core builds them, so that an estimate here is the core's to the last bit)
        return steady_of(*serving_terms(a, device, prompt_tokens=P, output_tokens=O, tp=tp, **kw), O, engine)
    return step_terms(
        a, device, decode_tokens=1.0, decode_context=P + O / 2.0, prefill_tokens=P / O, prefill_context=P / 2.0,
        prefill_sequences=1.0 / O, tp=tp, **kw,  # type: ignore[arg-type]
    )


def steady_of(
    spread: StepTerms, prompt: StepTerms, prefill_part: StepTerms | None, decode_part: StepTerms | None, output_tokens: ArrayLike,
    engine: EngineTerms | None,
) -> SteadyTerms:
    """The steady state from the four iterations :func:`serving_terms_stacked` builds, in its order (the
    evenly spread steady state, one prompt's prefill, the spread's prefill and decode parts; the parts
    may be None for an engine that needs neither): the spread; on an engine that runs prefill batches of
    their own, those batches between decode steps (:class:`SeparatePrefillTerms`); on one that mixes
    whole prompts into decode steps, :class:`MixedPrefillTerms`."""
    if engine is None or not (engine.separate_prefill or engine.lumpy_prefill):
        return spread
    assert prefill_part is not None and decode_part is not None
    apart = SeparatePrefillTerms(decode_part, prompt, num(output_tokens))
    return apart if engine.separate_prefill else MixedPrefillTerms(spread, prefill_part, apart)


def time_to_first_token_s(prefill_s: Any, iteration_s: Any, batch: ArrayLike, poll_interval: float = 1.0) -> Any:
    """Time to first token with ``batch`` requests in flight (this one included) [s]: the iteration in
    progress among the others, which it waits to join, then its prompt's prefill. Alone (batch 1) it
    waits for nothing: an idle engine starts it at once. The wait is priced at ``batch``, an upper
    bound on the iteration of the batch - 1 others. A scheduler that looks for new requests only every
    ``poll_interval`` iterations adds (poll_interval - 1) / 2 of them on average. A float for a float
    batch, else an array."""
    b = num(batch)
    wait = iteration_s * (1.0 + (poll_interval - 1.0) / 2.0)
    if type(b) is float:
        return prefill_s + (wait if b > 1.0 else 0.0)
    return prefill_s + np.where(b > 1.0, wait, 0.0)


@dataclass(frozen=True)
class ServingPoint:
    """Steady state of a replica at batch size ``batch`` (arrays over batch sizes)."""

    batch: Number
    iteration_s: Number  # = time per output token
    ttft_s: Number
    output_tokens_per_s: Number  # per replica
    kv_cache_bytes: Number  # per GPU
    memory_bytes: Number  # per GPU: weights + KV + working memory
    iteration: StepCost | None = None  # the steady-state iteration, by part
    prefill: StepCost | None = None  # one prompt's prefill, by part


def serving_points(
    a: LLMArchitecture,
    device: DeviceRates,
    *,
    batch: ArrayLike,
    prompt_tokens: ArrayLike,
    output_tokens: ArrayLike,
    weight_bytes_per_param: float,
    kv_bytes: float = 2.0,
    tp: ArrayLike = 1,
    act_bytes: float = 2.0,
    allreduce: AllReduce | None = None,
    floors: KernelFloors | None = None,
) -> ServingPoint:
    """Steady-state continuous batching at each batch size in ``batch``.

    Per iteration: ``batch`` decode tokens at mean context P + O/2, plus batch x P / O prompt tokens of
    new requests (attending to P/2 on average). TPOT is the iteration time. TTFT is the prefill of one
    prompt on the replica plus the iteration it waits to join (:func:`time_to_first_token_s`; queueing
    under load is not modelled).
    """
    b = np.asarray(batch, dtype=float)
    P, O = np.asarray(prompt_tokens, dtype=float), np.asarray(output_tokens, dtype=float)
    kw = dict(weight_bytes_per_param=weight_bytes_per_param, kv_bytes=kv_bytes, tp=tp, act_bytes=act_bytes, allreduce=allreduce, floors=floors)
    it = steady_state_terms(a, device, prompt_tokens=P, output_tokens=O, **kw).at(b)  # type: ignore[arg-type]
    pre = prompt_prefill_terms(a, device, prompt_tokens=P, **kw).at(1.0)  # type: ignore[arg-type]
    iteration = np.asarray(it.time_s, dtype=float)
    kv = kv_cache_bytes_per_gpu(a, kv_bytes, b, P, O, tp)
    return ServingPoint(
        batch=b,
        iteration_s=iteration,
        ttft_s=time_to_first_token_s(np.asarray(pre.time_s, dtype=float), iteration, b),
        output_tokens_per_s=b / iteration,
        kv_cache_bytes=kv,
        memory_bytes=weights_bytes_per_gpu(a, weight_bytes_per_param, tp) + kv,
        iteration=it,
        prefill=pre,
    )


#: The four iterations of a serving estimate as token mixes of one sequence (see serving_terms_stacked):
#: (decode tokens, steady-state prefill share, whole prompts) of the steady state, one prompt's
#: prefill, and the steady state's prefill and decode parts alone.
_MIXES = ((1.0, 1.0, 0.0), (0.0, 0.0, 1.0), (0.0, 1.0, 0.0), (1.0, 0.0, 0.0))


def _mix(P: Any, O: Any, tp: Any, dec: Any, pre: Any, prompt: Any, engine: EngineTerms | None = None) -> dict[str, Any]:
    """step_terms' token arguments of mix (dec, pre, prompt); the same formulas for float mixes and
    for the mixes stacked as arrays. Whole prompts run from a graph only up to the engine's
    ``prefill_graph_max_tokens`` (scale x P tokens); the other mixes above its largest decode graph."""
    out = dict(
        decode_tokens=dec, decode_context=(P + O / 2.0) * dec, prefill_tokens=pre * P / O + prompt * P, prefill_context=P / 2.0 + 0 * dec,
        prefill_sequences=pre / O + prompt, tp=tp + 0 * dec,
    )
    graph = None if engine is None else engine.graph_max_scale(P, prompt > 0)
    if graph is not None:
        out["graph_max_scale"] = graph
    return out


def serving_terms_stacked(
    a: LLMArchitecture,
    device: DeviceRates,
    *,
    prompt_tokens: ArrayLike,
    output_tokens: ArrayLike,
    weight_bytes_per_param: ArrayLike,
    kv_bytes: ArrayLike = 2.0,
    tp: ArrayLike = 1,
    act_bytes: float = 2.0,
    allreduce: AllReduce | None = None,
    floors: KernelFloors | None = None,
    engine: EngineTerms | None = None,
    mixes: int = 4,
) -> StepTerms:
    """The four iterations of :func:`serving_terms` stacked on a new first axis (0: the steady state of
    one sequence, 1: one prompt's prefill, 2 and 3: the steady state's prefill and decode parts alone),
    so that one :meth:`StepTerms.time_s` call with a (4, ...) scale prices them all. ``mixes``: only the
    first that many (2: without the parts, which only the prefill share needs)."""
    P, O = np.asarray(prompt_tokens, dtype=float), np.asarray(output_tokens, dtype=float)
    ax = (mixes,) + (1,) * max(P.ndim, O.ndim, np.ndim(tp))
    dec, pre, prompt = (np.array(c, dtype=float).reshape(ax) for c in zip(*_MIXES[:mixes]))
    t = np.broadcast_to(np.asarray(tp, dtype=float), np.broadcast_shapes(np.shape(tp), np.shape(P), np.shape(O)))
    return step_terms(
        a, device, **_mix(P, O, t, dec, pre, prompt, engine), weight_bytes_per_param=weight_bytes_per_param, kv_bytes=kv_bytes, act_bytes=act_bytes,
        allreduce=allreduce, floors=floors, engine=engine,
    )


def serving_terms_floats(
    a: LLMArchitecture,
    device: DeviceRates,
    *,
    prompt_tokens: float,
    output_tokens: float,
    weight_bytes_per_param: float,
    kv_bytes: float = 2.0,
    tp: float = 1.0,
    act_bytes: float = 2.0,
    allreduce: AllReduce | None = None,
    floors: KernelFloors | None = None,
    engine: EngineTerms | None = None,
) -> list[StepTerms]:
    """The four iterations of :func:`serving_terms_stacked` for ONE scenario, as terms of Python floats
    (a scalar what-if prices them by Python arithmetic): the same formulas, so the same numbers."""
    f = float
    return [
        step_terms(
            a, device, **_mix(f(prompt_tokens), f(output_tokens), f(tp), *mix, engine), weight_bytes_per_param=f(weight_bytes_per_param), kv_bytes=f(kv_bytes),
            act_bytes=f(act_bytes), allreduce=allreduce, floors=floors, engine=engine,
        )
        for mix in _MIXES
    ]


def serving_terms(
    a: LLMArchitecture,
    device: DeviceRates,
    **kw: Any,
) -> tuple[StepTerms, StepTerms, StepTerms, StepTerms]:
    """The four iterations a serving estimate needs, built in one pass: the steady state of one sequence
    (:func:`steady_state_terms`), one prompt's prefill (:func:`prompt_prefill_terms`), and the steady
    state's prefill and decode parts alone (see :func:`serving_terms_stacked` for the arguments)."""
    terms = serving_terms_stacked(a, device, **kw)
    return terms.part(0), terms.part(1), terms.part(2), terms.part(3)


def prompt_prefill_terms(
    a: LLMArchitecture,
    device: DeviceRates,
    *,
    prompt_tokens: ArrayLike,
    weight_bytes_per_param: ArrayLike,
    kv_bytes: ArrayLike = 2.0,
    tp: ArrayLike = 1,
    act_bytes: float = 2.0,
    allreduce: AllReduce | None = None,
    floors: KernelFloors | None = None,
    engine: EngineTerms | None = None,
) -> StepTerms:
    """One prompt's prefill alone (the first part of TTFT)."""
    P = np.asarray(prompt_tokens, dtype=float)
    return step_terms(
        a, device, **_mix(P, 1.0, tp, 0.0, 0.0, 1.0, engine), weight_bytes_per_param=weight_bytes_per_param, kv_bytes=kv_bytes,
        act_bytes=act_bytes, allreduce=allreduce, floors=floors, engine=engine,
    )


def kv_cache_bytes_per_gpu(
    a: LLMArchitecture, kv_bytes: ArrayLike, batch: ArrayLike, prompt_tokens: ArrayLike, output_tokens: ArrayLike, tp: ArrayLike, attention_dp: bool = False,
    reserved_to_completion: bool = False,
) -> np.ndarray:
    """KV cache of ``batch`` sequences at their mean context P + O/2, on each GPU [bytes]; with
    ``reserved_to_completion``, the P + O each holds from admission on an engine that reserves a
    request's whole output before running it."""
    P, O = np.asarray(prompt_tokens, dtype=float), np.asarray(output_tokens, dtype=float)
    context = P + O if reserved_to_completion else P + O / 2.0
    return kv_bytes_per_token(a, kv_bytes) * np.asarray(batch, dtype=float) * context / kv_shard(a, tp, attention_dp)


def kv_shard(a: LLMArchitecture, tp: ArrayLike, attention_dp: bool = False) -> Any:
    """Ways the KV cache is split over a replica's GPUs: by KV head under tensor parallelism, at most
    kv_heads ways (MLA's latent is replicated on every GPU in standard TP, as in vLLM's MLA backend); by
    sequence, ``tp`` ways, under attention data parallelism. A float for a float ``tp``, else an array."""
    t = num(tp)
    if attention_dp:
        return t
    if a.is_mla:
        return 1.0 if type(t) is float else np.ones_like(t)
    return minimum(t, float(a.kv_heads))


def weights_bytes_per_gpu(a: LLMArchitecture, weight_bytes_per_param: ArrayLike, tp: ArrayLike = 1, attention_dp: bool = False) -> np.ndarray:
    """All weights (every expert) at the given storage width on each of ``tp`` GPUs [bytes]: split over
    them, except that attention data parallelism keeps every non-expert weight whole on each GPU."""
    pc = _counts(a)[0]
    wb, t = num(weight_bytes_per_param), num(tp)
    if attention_dp:
        return (pc.total - pc.routed_experts) * wb + pc.routed_experts * wb / t
    return pc.total * wb / t
