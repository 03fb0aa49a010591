"""Diffusion-transformer (DiT) video generation: tokens, FLOPs, memory and time of one clip.

The pipeline of an open text-to-video DiT (CogVideoX, HunyuanVideo, Wan2.1, Mochi, LTX-Video):

1. a text encoder reads the prompt once (and the negative prompt when CFG is on);
2. the DiT runs ``steps`` denoising forwards over the latent video, twice per step when classifier-free
   guidance (CFG) evaluates a conditional and an unconditional pass, once when guidance is distilled;
3. the VAE decoder turns the final latent into pixels.

Every function takes scalars or numpy arrays (broadcast together) and does no I/O. Equations, their
assumptions and sources are in docs/methodology.md, section "Video DiT".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from capplan.models.device import DeviceRates, Number
from capplan.models.roofline import compute_time_s, link_time_s, memory_time_s, roofline_time_s

# Per-token activation traffic of the memory-bound ops in one DiT block, in units of one bf16 vector
# read or written (an fp32 one counts 2): the minimum of a fused adaLN-Zero block (Peebles & Xie 2023,
# fig. 3): two norms with modulation and two gated residual adds (6 ops x read + write) on the hidden
# size, the MLP activation on the ffn size. Workloads count their reference implementation's eager ops
# instead ([dit] elementwise_*_passes: fp32 upcasts, RoPE, QK norms, layout copies on the attention
# width); this minimum applies to files that do not.
ELEMENTWISE_HIDDEN_PASSES = 12
ELEMENTWISE_FFN_PASSES = 2

OFFLOAD_MODES: tuple[str, ...] = ("none", "model", "sequential")



@dataclass(frozen=True)
class DiTArchitecture:
    """The numbers of a DiT video model that its cost depends on (see workloads/video/*.toml)."""

    dit_params: float
    hidden_size: int
    layers: int
    heads: int
    head_dim: int
    ffn_size: int
    ffn_gated: bool
    patch_t: int
    patch_h: int
    patch_w: int
    full_3d_attention: bool
    joint_text: bool
    text_tokens: int
    vae_temporal_compression: int
    vae_spatial_compression: int
    vae_causal_first_frame: bool
    vae_params: float
    vae_decode_flop_per_pixel: float
    text_encoder_params: float
    # Weights that act on each video token and on each text token. Conditioning weights (adaLN
    # modulation, timestep and pooled-text embedders) act on one vector per forward, a text stream or a
    # cross-attention K/V projection only on the text tokens. None: every weight on every token of the
    # sequence (an upper bound; the behaviour of catalogue files that do not state the split).
    video_token_params: float | None = None
    text_token_params: float | None = None
    # DiT forwards per step when guidance is on (2: conditional + unconditional; Open-Sora 2.0's
    # text-and-image guidance runs 3).
    guided_forwards_per_step: int = 2
    # VAEs that decode independent chunks (Step-Video: 17 frames <-> 3 latent frames); 0 = none.
    vae_chunk_frames: int = 0
    vae_chunk_latent_frames: int = 0
    # Measured decode time / conv-rule time of the VAE on its benchmark GPU (1 = the rule holds).
    vae_decode_time_factor: float = 1.0
    # Whether the pipeline splits the VAE decode / text encoding across the sequence-parallel GPUs.
    vae_decode_split: bool = False
    text_encoder_split: bool = False
    # Sequence-parallel all-to-all: fixed cost of one collective and achieved share of the link.
    all_to_all_latency_s: float = 0.0
    all_to_all_bandwidth_frac: float = 1.0
    # measured all-to-all: (message per GPU [bytes], achieved share of the link) points, smallest first; the
    # share at a message size is log-linear between them and held outside (empty: all_to_all_bandwidth_frac)
    all_to_all_frac_by_bytes: tuple[tuple[float, float], ...] = ()
    # Memory-bound traffic per token and block, in bf16-vector passes of the hidden, attention (heads x
    # head_dim) and ffn widths (see ELEMENTWISE_HIDDEN_PASSES).
    elementwise_hidden_passes: float = ELEMENTWISE_HIDDEN_PASSES
    elementwise_inner_passes: float = 0.0
    elementwise_ffn_passes: float = ELEMENTWISE_FFN_PASSES

    @property
    def inner_dim(self) -> int:
        """Attention width, heads x head_dim (equals hidden_size in most DiTs)."""
        return self.heads * self.head_dim


@dataclass(frozen=True)
class VideoEstimate:
    """Everything :func:`estimate_video` computes; fields are floats or arrays of one shape."""

    frames: Number
    latent_frames: Number
    patches_per_frame: Number
    video_tokens: Number
    sequence_tokens: Number
    forward_passes: Number
    flop_linear: Number
    flop_self_attention: Number
    flop_cross_attention: Number
    flop_text_encoder: Number
    flop_vae_decode: Number
    flop_total: Number
    time_dit_s: Number
    time_linear_s: Number
    time_attention_s: Number
    time_elementwise_s: Number
    time_communication_s: Number
    time_text_encoder_s: Number
    time_vae_decode_s: Number
    time_offload_s: Number
    time_s: Number
    gpu_seconds: Number
    dit_weights_bytes: Number
    text_encoder_bytes: Number
    vae_bytes: Number
    activation_bytes: Number
    peak_memory_bytes: Number
    fits_in_memory: Number


def all_to_all_frac(arch: DiTArchitecture, message_bytes: Any) -> Any:
    """Achieved share of the scale-up link for an all-to-all of ``message_bytes`` per GPU: log-linear in
    the message size through the architecture's measured points, held at the end points outside them
    (its fixed share when it has none)."""
    if not arch.all_to_all_frac_by_bytes:
        return arch.all_to_all_bandwidth_frac
    sizes = np.log([b for b, _ in arch.all_to_all_frac_by_bytes])
    fracs = [f for _, f in arch.all_to_all_frac_by_bytes]
    m = np.log(np.maximum(np.asarray(message_bytes, dtype=float), 1.0))
    out = np.interp(m, sizes, fracs)
    return float(out) if np.ndim(out) == 0 else out


def frames_for_seconds(seconds: ArrayLike, fps: ArrayLike, causal_first_frame: bool) -> np.ndarray:
    """Frames the pipeline generates for ``seconds`` of video at ``fps`` [frames].

    Causal video VAEs encode the first frame alone and then groups of ``temporal_compression`` frames, so
    their pipelines ask for ``fps * seconds + 1`` frames (CogVideoX: 6 s x 8 fps -> 49; Wan2.1: 5 s x
    16 fps -> 81).
    """
    n = np.rint(np.asarray(seconds, dtype=float) * np.asarray(fps, dtype=float))
    return n + (1.0 if causal_first_frame else 0.0)


def latent_frames(
    frames: ArrayLike, temporal_compression: int, causal_first_frame: bool, chunk_frames: int = 0, chunk_latent_frames: int = 0
) -> np.ndarray:
    """Latent frames after the VAE's temporal compression (a partial group is padded to a whole one).

    A chunked VAE (``chunk_frames`` > 0) maps each whole chunk of frames to ``chunk_latent_frames``
    latent frames and drops a partial chunk, at least one chunk (Step-Video-T2V's pipelines:
    ``max(num_frames // 17 * 3, 1)``; 204 frames -> 36 latent frames, not 204 / 8).
    """
    f = np.asarray(frames, dtype=float)
    if chunk_frames > 0:
        return np.maximum(np.floor(f / chunk_frames), 1.0) * chunk_latent_frames
    if causal_first_frame:
        return 1.0 + np.ceil(np.maximum(f - 1.0, 0.0) / temporal_compression)
    return np.ceil(f / temporal_compression)


def patches_per_frame(width_px: ArrayLike, height_px: ArrayLike, arch: DiTArchitecture) -> np.ndarray:
    """Patches (tokens) per latent frame: (H / s / p_h) x (W / s / p_w), padded up to whole patches."""
    s = arch.vae_spatial_compression
    h = np.ceil(np.asarray(height_px, dtype=float) / (s * arch.patch_h))
    w = np.ceil(np.asarray(width_px, dtype=float) / (s * arch.patch_w))
    return h * w


def video_token_grid(width_px: ArrayLike, height_px: ArrayLike, frames: ArrayLike, arch: DiTArchitecture) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(latent frames, patches per frame, video tokens) of a clip."""
    lat = latent_frames(frames, arch.vae_temporal_compression, arch.vae_causal_first_frame, arch.vae_chunk_frames, arch.vae_chunk_latent_frames)
    ppf = patches_per_frame(width_px, height_px, arch)
    tokens = np.ceil(lat / arch.patch_t) * ppf
    return lat, ppf, tokens


def forward_flop(width_px: ArrayLike, height_px: ArrayLike, frames: ArrayLike, arch: DiTArchitecture) -> dict[str, np.ndarray]:
    """FLOPs of one DiT forward pass for one sample, split by op class [FLOP].

    linear : 2 x (video-token params x video tokens + text-token params x text tokens): every weight
        does one multiply-add per token it acts on (Kaplan et al. 2020, sec. 2.1). Conditioning weights
        (adaLN modulation, timestep embedders) act on one vector per forward and are not counted.
    self_attention : 4 x N^2 x heads x head_dim x layers for full 3-D attention over N tokens (QK^T and
        PV each 2 N^2 d per layer; FlashAttention-2 paper's FLOP count, non-causal). Factorised models
        attend within each latent frame (spatial, P patches) and across frames at each position
        (temporal, T latent frames): 4 d L (T P^2 + P T^2).
    cross_attention : 4 x N_video x N_text x heads x head_dim x layers, for models that cross-attend to
        the text tokens; zero for joint models, whose text tokens are part of N.
    """
    lat, ppf, video_tokens = video_token_grid(width_px, height_px, frames, arch)
    text = float(arch.text_tokens)
    seq = video_tokens + (text if arch.joint_text else 0.0)
    d = float(arch.inner_dim) * arch.layers
    p_video, p_text = token_params(arch)
    linear = 2.0 * (p_video * video_tokens + p_text * text)
    if arch.full_3d_attention:
        self_attn = 4.0 * seq**2 * d
    else:
        t = np.ceil(lat / arch.patch_t)
        self_attn = 4.0 * d * (t * ppf**2 + ppf * t**2)
    cross = np.zeros_like(seq) if arch.joint_text else 4.0 * video_tokens * text * d
    return {"linear": linear, "self_attention": self_attn, "cross_attention": cross, "sequence_tokens": seq}


def token_params(arch: DiTArchitecture) -> tuple[float, float]:
    """(weights acting on each video token, on each text token); without a stated split every weight
    counts against every token of the sequence (text tokens only in joint models)."""
    p_video = arch.dit_params if arch.video_token_params is None else arch.video_token_params
    if arch.text_token_params is not None:
        return p_video, arch.text_token_params
    return p_video, (arch.dit_params if arch.joint_text else 0.0)


def activation_bytes_per_token(arch: DiTArchitecture, act_bytes: float) -> float:
    """Peak live activations per token during one block [bytes].

    The residual stream and its normalised copy (2 x hidden) plus the larger of the attention's Q, K, V
    and output (4 x inner; fused attention kernels keep no N x N matrix) and the MLP's intermediate
    (2 x ffn, 3 x ffn when gated).
    """
    ffn = arch.ffn_size * (3 if arch.ffn_gated else 2)
    return act_bytes * (2 * arch.hidden_size + max(4 * arch.inner_dim, ffn))


def estimate_video(
    arch: DiTArchitecture,
    device: DeviceRates,
    *,
    width_px: ArrayLike,
    height_px: ArrayLike,
    frames: ArrayLike,
    steps: ArrayLike,
    cfg: ArrayLike,
    n_gpus: ArrayLike = 1,
    weight_bytes_per_param: ArrayLike = 2.0,
    act_bytes: float = 2.0,
    offload: str = "none",
) -> VideoEstimate:
    """Tokens, FLOPs, time and memory to generate one clip.

    Parameters
    ----------
    arch : the model
    device : the GPU's rates for this precision and software stack
    width_px, height_px, frames : output video size [px, px, frames]
    steps : denoising steps [-]
    cfg : True when classifier-free guidance doubles the forward passes
    n_gpus : GPUs sharing one clip by sequence (Ulysses) parallelism [-]
    weight_bytes_per_param : storage of the DiT weights [bytes]
    act_bytes : storage of activations [bytes] (bf16)
    offload : "none" (all resident), "model" (components moved to the GPU in turn, diffusers
        ``enable_model_cpu_offload``) or "sequential" (DiT blocks streamed from host memory every step)

    Returns
    -------
    VideoEstimate ; times in s, memory in bytes per GPU.
    """
    if offload not in OFFLOAD_MODES:
        raise ValueError(f"offload must be one of {OFFLOAD_MODES}")
    frames_a = np.asarray(frames, dtype=float)
    steps_a = np.asarray(steps, dtype=float)
    guided = np.asarray(cfg, dtype=bool)
    cfg_factor = np.where(guided, float(arch.guided_forwards_per_step), 1.0)
    n = np.asarray(n_gpus, dtype=float)
    wbytes = np.asarray(weight_bytes_per_param, dtype=float)

    lat, ppf, video_tokens = video_token_grid(width_px, height_px, frames_a, arch)
    fwd = forward_flop(width_px, height_px, frames_a, arch)
    seq = fwd["sequence_tokens"]
    passes = steps_a * cfg_factor

    flop_linear = fwd["linear"] * passes
    flop_self = fwd["self_attention"] * passes
    flop_cross = fwd["cross_attention"] * passes
    text_batch = np.where(guided, 2.0, 1.0)  # the negative prompt is encoded too when CFG is on
    flop_te = 2.0 * arch.text_encoder_params * arch.text_tokens * text_batch
    pixels = np.asarray(width_px, dtype=float) * np.asarray(height_px, dtype=float) * frames_a
    flop_vae = arch.vae_decode_flop_per_pixel * pixels
    flop_total = flop_linear + flop_self + flop_cross + flop_te + flop_vae

    dit_weight_bytes = arch.dit_params * wbytes
    # DiT: each GPU holds all weights (sequence parallelism splits tokens, not weights) and a 1/n share
    # of the tokens. Weights are read once per step (CFG's two samples are batched together).
    t_linear = roofline_time_s(
        flop_linear / n,
        dit_weight_bytes * steps_a,
        device.gemm_flop_per_s,
        device.gemm_frac,
        device.memory_bandwidth_bytes_per_s,
        device.memory_bandwidth_frac,
    )
    t_attn = compute_time_s((flop_self + flop_cross) / n, device.bf16_flop_per_s, device.attention_frac)
    elementwise_bytes = (
        seq
        * (
            arch.elementwise_hidden_passes * arch.hidden_size
            + arch.elementwise_inner_passes * arch.inner_dim
            + arch.elementwise_ffn_passes * arch.ffn_size
        )
        * act_bytes
        * arch.layers
        * passes
    )
    t_elem = memory_time_s(elementwise_bytes / n, device.memory_bandwidth_bytes_per_s, device.memory_bandwidth_frac)
    # Ulysses sequence parallelism: per layer, all-to-alls of Q, K, V and the attention output; each GPU
    # sends (n-1)/n of its 1/n share (Jacobs et al. 2023, DeepSpeed-Ulysses, sec. 3).
    # Each collective pays a fixed latency and runs at a share of the link (all_to_all_frac); small messages
    # reach less of it than large ones, so with a measured curve the share follows each call's message.
    per_call = seq / n * arch.inner_dim * act_bytes * (n - 1.0) / n
    a2a_bytes = 4.0 * per_call * arch.layers * passes
    a2a_calls = np.where(n > 1.0, 4.0 * arch.layers * passes, 0.0)
    a2a_frac = all_to_all_frac(arch, per_call)
    t_comm = link_time_s(a2a_bytes, device.scale_up_bytes_per_s * a2a_frac) + a2a_calls * arch.all_to_all_latency_s
    t_dit = t_linear + t_attn + t_elem + t_comm

    # Text encoder and VAE decoder run before and after the denoising loop, on one GPU unless the
    # pipeline splits them across the n GPUs. The VAE's convolution-rule time is scaled by the ratio
    # its published decode benchmark measured (real decoders: causal frame-by-frame caching, GroupNorm
    # and upsampling traffic, tiling overlap).
    te_split = n if arch.text_encoder_split else 1.0
    vae_split = n if arch.vae_decode_split else 1.0
    t_te = compute_time_s(flop_te / te_split, device.bf16_flop_per_s, device.bf16_gemm_frac)
    t_vae = compute_time_s(flop_vae / vae_split, device.bf16_flop_per_s, device.conv_frac) * arch.vae_decode_time_factor

    te_bytes = arch.text_encoder_params * act_bytes
    vae_bytes = arch.vae_params * act_bytes
    if offload == "none":
        t_offload = np.zeros_like(t_dit)
    elif offload == "model":
        t_offload = link_time_s(te_bytes + dit_weight_bytes + vae_bytes, device.host_link_bytes_per_s)
    else:
        t_offload = link_time_s(te_bytes + dit_weight_bytes * steps_a + vae_bytes, device.host_link_bytes_per_s)

    time_s = t_dit + t_te + t_vae + t_offload
    gpu_seconds = time_s * n

    act = activation_bytes_per_token(arch, act_bytes) * seq / n * cfg_factor
    if offload == "none":
        resident = dit_weight_bytes + te_bytes + vae_bytes
    elif offload == "model":
        resident = np.maximum(np.maximum(dit_weight_bytes, te_bytes), vae_bytes)
    else:
        resident = dit_weight_bytes / arch.layers + vae_bytes
    peak = resident + act
    fits = peak <= np.asarray(device.memory_bytes, dtype=float)

    return VideoEstimate(
        frames=frames_a,
        latent_frames=lat,
        patches_per_frame=ppf,
        video_tokens=video_tokens,
        sequence_tokens=seq,
        forward_passes=passes,
        flop_linear=flop_linear,
        flop_self_attention=flop_self,
        flop_cross_attention=flop_cross,
        flop_text_encoder=flop_te,
        flop_vae_decode=flop_vae,
        flop_total=flop_total,
        time_dit_s=t_dit,
        time_linear_s=t_linear,
        time_attention_s=t_attn,
        time_elementwise_s=t_elem,
        time_communication_s=t_comm,
        time_text_encoder_s=t_te,
        time_vae_decode_s=t_vae,
        time_offload_s=t_offload,
        time_s=time_s,
        gpu_seconds=gpu_seconds,
        dit_weights_bytes=dit_weight_bytes,
        text_encoder_bytes=te_bytes,
        vae_bytes=vae_bytes,
        activation_bytes=act,
        peak_memory_bytes=peak,
        fits_in_memory=fits,
    )


def clips_needed(video_s: ArrayLike, clip_s: ArrayLike, fps: ArrayLike) -> np.ndarray:
    """Clips of ``clip_s`` seconds that cover ``video_s`` seconds, allowing one frame of slack so that
    frame rounding (6 s at 9.6 fps is 59 frames, 6.04 s) does not add a whole clip."""
    v = np.asarray(video_s, dtype=float)
    c = np.asarray(clip_s, dtype=float)
    slack = 1.0 / np.asarray(fps, dtype=float)
    return np.maximum(1.0, np.ceil((v - slack) / c - 1e-9))
