"""`capplan list`: the catalogue."""

from __future__ import annotations

from capplan.catalog import Catalog, load_catalog
from capplan.results import (
    GPUListing,
    WorkloadListing,
)


def list_gpus(catalog: Catalog | None = None) -> list[GPUListing]:
    cat = catalog or load_catalog()
    return [
        GPUListing(
            id=g.id,
            name=g.name,
            vendor=g.vendor,
            memory_gb=g.memory.memory_gb,
            memory_bandwidth_tb_per_s=g.memory.memory_bandwidth_tb_per_s,
            bf16_tflop_per_s=g.compute.bf16_tflop_per_s,
            fp8_tflop_per_s=g.compute.fp8_tflop_per_s,
            fp4_tflop_per_s=g.compute.fp4_tflop_per_s,
            tdp_w=g.power.tdp_w,
            price_usd_per_gpu_hour=g.price.usd_per_gpu_hour,
        )
        for g in sorted(cat.gpus.values(), key=lambda g: g.id)
    ]


def list_workloads(catalog: Catalog | None = None) -> list[WorkloadListing]:
    cat = catalog or load_catalog()
    out = [
        WorkloadListing(
            id=w.id,
            name=w.name,
            kind="video",
            params=w.dit.params,
            detail=f"{w.defaults.width}x{w.defaults.height}, {w.defaults.frames} frames @ {w.defaults.fps:g} fps, "
            f"{w.defaults.steps} steps, {'CFG' if w.defaults.cfg else 'distilled guidance'}",
        )
        for w in cat.video.values()
    ]
    out += [
        WorkloadListing(
            id=t.id,
            name=t.name,
            kind="text",
            params=t.architecture.params_total,
            detail=(f"MoE {t.moe.experts_per_token}/{t.moe.n_experts} experts, " if t.moe else "dense, ")
            + f"{t.architecture.params_active / 1e9:.1f}B active, {t.architecture.max_context} ctx",
        )
        for t in cat.text.values()
    ]
    return sorted(out, key=lambda w: (w.kind, w.id))
