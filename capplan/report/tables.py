"""Terminal tables (rich) of API results."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Protocol

from rich import box
from rich.console import Group
from rich.table import Table
from rich.text import Text

from capplan.report.fmt import duration, gb, pct, si, sig, usd
from capplan.results import GPUListing, TextResult, VideoResult, WorkloadListing


def _kv_table(title: str) -> Table:
    t = Table(title=title, title_justify="left", show_header=False, box=None, pad_edge=False)
    t.add_column(style="bold")
    t.add_column(justify="right")
    t.add_column(style="dim")
    return t


def video_report(r: VideoResult) -> Group:
    i = r.inputs
    head = Text.assemble(
        (f"{i.workload}", "bold cyan"),
        f" on {i.gpus} × {i.gpu}: {i.width}×{i.height}, {sig(r.video_seconds)} s at {i.fps:g} fps, "
        f"{i.steps} steps{' × 2 (CFG)' if i.cfg else ' (guidance distilled)'}, {i.precision}, stack {i.stack}",
    )

    money = _kv_table("Cost")
    ec = r.economics
    how = f"rented at ${ec.gpu_usd_per_hour:.2f}/GPU-hour" if ec.pricing == "rent" else (
        f"owned: ${ec.hardware_usd_per_gpu_hour:.2f} hardware + ${ec.energy_usd_per_gpu_hour:.2f} energy per GPU-hour"
    )
    money.add_row("Cost per minute of video", usd(r.cost_per_video_minute_usd), how)
    money.add_row("GPU-hours per minute of video", sig(r.gpu_hours_per_video_minute), "")
    clips = f"{r.n_clips} clips of {sig(i.clip_seconds)} s" if r.n_clips > 1 else "1 clip"
    money.add_row("Cost of this video", usd(r.cost_usd), clips)
    money.add_row("Wall time", duration(r.time_s), f"{duration(r.time_per_clip_s)} per clip")
    money.add_row("GPU time", duration(r.gpu_seconds), "")
    carbon = f", {sig(r.carbon_kg_per_video_minute)} kg CO2e" if r.carbon_kg_per_video_minute is not None else ""
    money.add_row("Energy per minute of video", f"{sig(r.energy_kwh_per_video_minute)} kWh", f"at PUE {ec.pue:g}{carbon}")
    money.add_row("Power drawn", f"{sig(r.power_kw)} kW", "GPUs + server share, busy, x PUE")
    if r.uncertainty is not None:
        u = r.uncertainty
        money.add_row("  P10 / P50 / P90", f"{usd(u.p10)} / {usd(u.p50)} / {usd(u.p90)}", f"per minute, {u.valid_samples} draws of {', '.join(u.ranges)}")

    work = _kv_table("Work per clip")
    joint = f" + {r.tokens - r.video_tokens:,.0f} text" if r.tokens > r.video_tokens else ""
    work.add_row("Tokens per sequence", f"{r.tokens:,.0f}", f"{r.latent_frames:g} latent frames × {r.patches_per_frame:,.0f} patches{joint}")
    work.add_row("DiT forward passes", f"{r.forward_passes:g}", "")
    fb = r.flop_by_stage
    n = r.n_clips
    total = r.flop_total / n
    for name, v in (
        ("DiT linear layers", fb.dit_linear),
        ("Self-attention", fb.self_attention),
        ("Cross-attention", fb.cross_attention),
        ("Text encoder", fb.text_encoder),
        ("VAE decode", fb.vae_decode),
    ):
        if v > 0:
            work.add_row(f"  {name}", si(v / n, "FLOP"), pct(v / r.flop_total))
    work.add_row("Total", si(total, "FLOP"), "")

    time = _kv_table("Time per clip")
    tb = r.time_by_stage_s
    parts = {
        "DiT linear (GEMM)": tb.dit_linear,
        "Attention": tb.attention,
        "Norms, activations": tb.elementwise,
        "Sequence-parallel all-to-all": tb.communication,
        "Text encoder": tb.text_encoder,
        "VAE decode": tb.vae_decode,
        "Host offload transfers": tb.offload_transfer,
    }
    for name, v in parts.items():
        if v > 0:
            time.add_row(f"  {name}", duration(v), pct(v / r.time_per_clip_s))
    e = r.efficiency
    time.add_row(
        "Efficiency",
        f"GEMM {pct(e.gemm_frac)}, attention {pct(e.attention_frac)}",
        f"conv {pct(e.conv_frac)}, HBM {pct(e.memory_bandwidth_frac)} (stack {e.stack})",
    )

    mem = _kv_table("Memory per GPU")
    m = r.memory_by_component_gb
    mem.add_row("  DiT weights", gb(m.dit_weights), i.precision)
    if m.text_encoder:
        mem.add_row("  Text encoder(s)", gb(m.text_encoder), "bf16, resident")
    mem.add_row("  VAE", gb(m.vae), "")
    mem.add_row("  Activations", gb(m.activations), "peak of one block" + (", CFG batch 2" if i.cfg else ""))
    verdict = Text("fits", style="green") if r.fits_in_memory else Text("DOES NOT FIT", style="bold red")
    mem.add_row("Peak", f"{gb(r.peak_memory_gb)} of {gb(r.gpu_memory_gb)}", verdict)

    verdict_line: list = []
    if not r.fits_in_memory:  # before any cost: the cost below is for a run that cannot happen
        verdict_line = [Text(f"DOES NOT FIT: {gb(r.peak_memory_gb)} needed per GPU, {gb(r.gpu_memory_gb)} on the {i.gpu}. {_advice(r.suggestion)}".strip(), style="bold red")]
        money.title = "Cost (if it fitted)"
    parts_out: list = [head, *verdict_line, Text(""), money, Text(""), work, Text(""), time, Text(""), mem]
    if r.long_video is not None:
        lv = r.long_video
        lt = Table(title="Long video: clips vs. one sequence", title_justify="left", box=None)
        lt.add_column("")
        lt.add_column("Wall time", justify="right")
        lt.add_column("Cost / video-minute", justify="right")
        lt.add_column("Note", style="dim")
        lt.add_row(f"{lv.n_clips} clips of {sig(lv.clip_seconds)} s", duration(lv.clips_time_s), usd(lv.clips_cost_per_video_minute_usd), "linear in length" + (" ◀" if lv.mode == "clips" else ""))
        note = f"{lv.one_sequence_tokens:,.0f} tokens, quadratic attention, {gb(lv.one_sequence_peak_memory_gb)}"
        if not lv.one_sequence_fits_in_memory:
            note += " (does not fit)"
        lt.add_row("one sequence", duration(lv.one_sequence_time_s), usd(lv.one_sequence_cost_per_video_minute_usd), note + (" ◀" if lv.mode == "one-sequence" else ""))
        parts_out += [Text(""), lt]
    if r.suggestion and r.fits_in_memory:
        parts_out += [Text(""), Text(r.suggestion, style="bold yellow")]
    for w in r.warnings:
        parts_out.append(Text(f"note: {w}", style="yellow"))
    return Group(*parts_out)


def _advice(suggestion: str | None) -> str:
    """The suggestion without its own "does not fit" preamble, which the verdict line already says."""
    text = (suggestion or "").removeprefix("does not fit: ")
    return text[:1].upper() + text[1:]


def gpu_table(rows: list[GPUListing]) -> Table:
    # ids never wrap (they are typed back as --gpu); the name column gives way on narrow terminals
    t = Table(title="GPUs: dense peak TFLOP/s, memory, board power and default rent", title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False, show_edge=False, collapse_padding=True)
    t.add_column("id", no_wrap=True, min_width=max((len(g.id) for g in rows), default=2))
    t.add_column("name", ratio=1)
    for col in ("HBM GB", "TB/s", "bf16", "fp8", "fp4", "TDP W", "$/GPU-h"):
        t.add_column(col, justify="right", no_wrap=True)
    for g in rows:
        t.add_row(
            g.id,
            _short_name(g),
            f"{g.memory_gb:g}",
            f"{g.memory_bandwidth_tb_per_s:.3g}",
            f"{g.bf16_tflop_per_s:,.0f}",
            f"{g.fp8_tflop_per_s:,.0f}" if g.fp8_tflop_per_s else "—",
            f"{g.fp4_tflop_per_s:,.0f}" if g.fp4_tflop_per_s else "—",
            f"{g.tdp_w:,.0f}",
            f"{g.price_usd_per_gpu_hour:.2f}",
        )
    return t


def _short_name(g: GPUListing) -> str:
    """The product name without what other columns say: the vendor, the memory size."""
    name = re.sub(rf"^{re.escape(g.vendor)}\s+", "", g.name, flags=re.IGNORECASE)
    return re.sub(r"\s*\d+\s*GB$", "", name) or g.name


def workload_table(rows: list[WorkloadListing]) -> Table:
    t = Table(title="Workloads", title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False, show_edge=False, collapse_padding=True)
    t.add_column("id", no_wrap=True, min_width=max((len(w.id) for w in rows), default=2))
    t.add_column("kind", no_wrap=True)
    t.add_column("name", ratio=1)
    t.add_column("params", justify="right", no_wrap=True)
    t.add_column("defaults", ratio=2)
    for w in rows:
        t.add_row(w.id, w.kind, w.name, f"{w.params / 1e9:.3g} B", w.detail)
    return t


class ScenarioRow(Protocol):
    name: str
    description: str
    path: str


def scenario_table(rows: Sequence[ScenarioRow]) -> Table:
    t = Table(title="Scenarios (capplan plan NAME; capplan init writes one to edit)", title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False, show_edge=False, collapse_padding=True)
    t.add_column("name", no_wrap=True, min_width=max((len(r.name) for r in rows), default=4))
    t.add_column("description", ratio=1)
    for r in rows:
        t.add_row(r.name, r.description)
    return t


def text_report(r: TextResult) -> Group:
    i = r.inputs
    targets = (
        f"targets TTFT ≤ {i.ttft_ms:g} ms, TPOT ≤ {i.tpot_ms:g} ms" if i.ttft_ms is not None and i.tpot_ms is not None else "no latency targets (max throughput)"
    )
    head = Text.assemble(
        (i.workload, "bold cyan"),
        f" on {i.gpus} × {i.gpu}{' (auto)' if i.gpus_auto else ''}: {i.precision} weights, {i.kv_precision} KV cache, "
        f"{i.prompt_tokens} prompt + {i.output_tokens} output tokens, {targets}, stack {i.stack}",
    )
    out: list = [head, Text("")]
    if not r.fits_in_memory:
        out.append(Text(r.suggestion or "does not fit", style="bold red"))
        return Group(*out)
    money = _kv_table("Cost")
    if r.cost_per_million_output_tokens_usd is None:
        money.add_row("Cost per million tokens", "—", "no batch meets the targets")
    else:
        money.add_row("Cost per million output tokens", usd(r.cost_per_million_output_tokens_usd), f"{pct(1 - r.prefill_time_share)} of GPU time (decode)")
        money.add_row("Cost per million input tokens", usd(r.cost_per_million_input_tokens_usd or 0.0), f"{pct(r.prefill_time_share)} of GPU time (prefill)")
        ec = r.economics
        how = f"rented at ${ec.gpu_usd_per_hour:.2f}/GPU-hour" if ec.pricing == "rent" else (
            f"owned: ${ec.hardware_usd_per_gpu_hour:.2f} hardware + ${ec.energy_usd_per_gpu_hour:.2f} energy per GPU-hour"
        )
        money.add_row("Cost per million tokens, blended", usd(r.cost_per_million_tokens_usd or 0.0), how)
    if r.uncertainty is not None:
        u = r.uncertainty
        money.add_row("  P10 / P50 / P90", f"{usd(u.p10)} / {usd(u.p50)} / {usd(u.p90)}", f"blended, {u.valid_samples} draws of {', '.join(u.ranges)}")
    if r.energy_kwh_per_million_tokens is not None:
        money.add_row("Energy per million output tokens", f"{sig(r.energy_kwh_per_million_tokens)} kWh", f"{sig(r.power_kw)} kW per replica at PUE {r.economics.pue:g}")
    perf = _kv_table("Serving (continuous batching, steady state)")
    perf.add_row("Max batch", f"{r.max_batch:,}", f"limited by {r.batch_limited_by}")
    perf.add_row("Output tokens/s per GPU", sig(r.tokens_per_s_per_gpu), f"{sig(r.tokens_per_s_per_replica)} per replica of {r.gpus_per_replica} GPU(s)")
    perf.add_row("Requests/s per replica", sig(r.requests_per_s_per_replica), "")
    if r.ttft_ms is not None:
        perf.add_row("TTFT", duration(r.ttft_ms / 1e3), "prefill of one prompt + one iteration")
    if r.tpot_ms is not None:
        perf.add_row("TPOT", duration(r.tpot_ms / 1e3), f"{sig(1e3 / r.tpot_ms)} tokens/s per user" if r.tpot_ms else "")
    if r.iteration_s is not None and r.tpot_ms:
        it = r.iteration_s
        total = r.tpot_ms / 1e3
        for name, key, v in (
            ("Dense GEMMs", "gemm", it.gemm),
            ("Routed experts", "experts", it.experts),
            ("Attention", "attention", it.attention),
            ("Norms, activations", "elementwise", it.elementwise),
            ("Tensor-parallel all-reduce", "communication", it.communication),
        ):
            if v > 0:
                floor = "  kernel-launch floor" if key in it.at_kernel_floor else ""
                perf.add_row(f"  {name}", duration(v), f"{pct(v / total)} of the iteration{floor}")
    mem = _kv_table("Memory per GPU")
    mem.add_row("  Weights", gb(r.weights_gb), i.precision)
    mem.add_row("  KV cache", gb(r.kv_cache_gb), f"{sig(r.kv_cache_bytes_per_token / 1e3)} kB per token, all layers")
    mem.add_row("Used / usable", f"{gb(r.memory_gb)} of {gb(r.usable_memory_gb)}", "")
    e = r.efficiency
    kv = f", KV reads {pct(e.kv_bandwidth_frac)}" if e.kv_bandwidth_frac is not None else ""
    perf.add_row("Efficiency", f"GEMM {pct(e.gemm_frac)}, weights {pct(e.memory_bandwidth_frac)}", f"serving kernels{kv}, stack {e.stack}")
    out += [money, Text(""), perf, Text(""), mem]
    if r.burst is not None:
        b = r.burst
        lengths = b.output_lengths + (f", at most {b.max_output_tokens:,.0f}" if b.max_output_tokens is not None else "")
        sent = "sent at once" if b.concurrency is None else f"sent {b.concurrency:,} at a time"
        job = _kv_table(f"{b.requests:,} requests {sent} to one replica")
        job.add_row("All done after", duration(b.duration_s), f"{sig(b.iterations)} iterations; output lengths {lengths}")
        held = "as many run at once as fit" if b.concurrency is None else f"at most {b.concurrency:,} in flight"
        job.add_row("Output tokens/s", sig(b.output_tokens_per_s), f"over the whole run; {held} (no latency targets)")
        job.add_row("Mean TTFT", duration(b.mean_ttft_ms / 1e3), "from sending; prompts wait for the prefill budget")
        if b.mean_tpot_ms is not None:
            job.add_row("Mean TPOT", duration(b.mean_tpot_ms / 1e3), "per output token after the first, mean over requests (as benchmarks report it)")
        job.add_row("Cost", usd(b.cost_usd), f"{sig(b.gpu_hours)} GPU-hours")
        out += [Text(""), job]
    for w in r.warnings:
        out.append(Text(f"note: {w}", style="yellow"))
    return Group(*out)
