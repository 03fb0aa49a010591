"""Predicted vs. published measurements (validation/*.csv shipped with the package).

Each row is turned into the same call a user would make (``api.video`` / the text model at the row's
batch) with the default efficiency profile, and the relative error is reported. Nothing here feeds back
into the defaults.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from pathlib import Path
from statistics import median

import numpy as np

from capplan import api
from capplan.catalog import Catalog, load_catalog
from capplan.catalog.convert import device_rates, llm_architecture
from capplan.catalog.load import data_root
from capplan.errors import UserError
from capplan.models import transformer
from capplan.models.precision import BYTES_PER_VALUE

# A row whose GPU is only described ("80GB-class") is evaluated on this catalogue GPU for memory,
# which does not depend on the chip; its time is not predicted.
MEMORY_ONLY_GPU = "h100-sxm"


@dataclass(frozen=True)
class Comparison:
    kind: str  # "video" or "text"
    model: str
    gpu: str
    num_gpus: int
    quantity: str  # "time_s", "peak_mem_gb", "output_tokens_per_s", ...
    measured: float
    predicted: float
    dataset: str
    verified: bool
    source: str

    @property
    def error(self) -> float:
        """Signed relative error, (predicted - measured) / measured."""
        return (self.predicted - self.measured) / self.measured


def validation_dir() -> Path:
    return data_root() / "validation"


def _offload(text: str) -> str:
    t = text.lower()
    if "sequential" in t:
        return "sequential"
    if "offload" in t or t.startswith("model"):
        return "model"
    return "none"


def _float(text: str) -> float | None:
    try:
        v = float(text)
    except ValueError:
        return None
    return v if math.isfinite(v) else None


def video_comparisons(catalog: Catalog | None = None, path: Path | None = None) -> list[Comparison]:
    cat = catalog or load_catalog()
    path = path or validation_dir() / "video_measurements.csv"
    out: list[Comparison] = []
    with path.open(newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            model = row["model"].strip().lower()
            if model not in cat.video:
                continue
            gpu = row["gpu"].strip()
            described = gpu not in cat.gpus
            n = int(row["num_gpus"] or 1)
            fps = _float(row["fps"]) or cat.video[model].defaults.fps
            kwargs = dict(
                gpus=n,
                resolution=f"{row['width']}x{row['height']}",
                frames=int(row["frames"]),
                fps=fps,
                steps=int(row["steps"]) if row["steps"] else None,
                cfg=(row["cfg"].strip().lower() == "true") if row["cfg"] else None,
                precision=row["precision"] if row["precision"] in api.VIDEO_PRECISIONS else "bf16",
                offload=_offload(row["offload"]),
                long_video="one-sequence",
                catalog=cat,
            )
            r = api.video(model, MEMORY_ONLY_GPU if described else gpu, **kwargs)  # type: ignore[arg-type]
            common = dict(
                kind="video",
                model=model,
                gpu=gpu,
                num_gpus=n,
                dataset=row.get("dataset", "project") or "project",
                verified="UNVERIFIED" not in row.get("notes", ""),
                source=row["source"],
            )
            t = _float(row["time_s"])
            if t and not described:
                out.append(Comparison(quantity="time_s", measured=t, predicted=r.time_s, **common))  # type: ignore[arg-type]
            m = _float(row["peak_mem_gb"])
            if m and n == 1:
                out.append(Comparison(quantity="peak_mem_gb", measured=m, predicted=r.peak_memory_gb, **common))  # type: ignore[arg-type]
    return out


def text_comparisons(catalog: Catalog | None = None, path: Path | None = None) -> list[Comparison]:
    """Rows with known lengths: throughput at the stated batch, or the largest batch that fits
    (offline max-throughput benchmarks) when none is stated."""
    cat = catalog or load_catalog()
    path = path or validation_dir() / "text_measurements.csv"
    rt = cat.efficiency.runtime
    out: list[Comparison] = []
    with path.open(newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            model, gpu = row["model"].strip(), row["gpu"].strip()
            P, O = _float(row["prompt_tokens"]), _float(row["output_tokens"])
            value = _float(row["value"])
            if model not in cat.text or gpu not in cat.gpus or not P or not O or not value:
                continue
            tp = int(row["tp"] or row["num_gpus"] or 1)
            n_sys = int(row["num_gpus"] or tp)
            precision = row["precision"] if row["precision"] in BYTES_PER_VALUE else "bf16"
            g = cat.gpu(gpu)
            if g.peak_tflop_per_s(api.COMPUTE_PRECISION[precision]) is None:
                continue
            w = cat.text[model]
            arch = llm_architecture(w)
            rates = device_rates(g, cat.efficiency.gpu[gpu][cat.efficiency.default_stack], precision, w.architecture.head_dim)
            kv_precision = "fp8" if precision in ("fp8", "fp4") and g.compute.fp8_tflop_per_s else "bf16"
            usable = g.memory.memory_gb * 1e9 * rt.gpu_memory_utilization_frac
            stated = _float(row["batch"])
            batch = np.array([stated]) if stated else np.arange(1, rt.max_batch + 1, dtype=float)
            pts = transformer.serving_points(
                arch, rates, batch=batch, prompt_tokens=P, output_tokens=O, weight_bytes_per_param=BYTES_PER_VALUE[precision],
                kv_bytes=BYTES_PER_VALUE[kv_precision], tp=tp, allreduce_latency_s=rt.allreduce_latency_s,
            )
            if stated:
                k = 0
            else:
                ok = np.asarray(pts.memory_bytes) <= usable
                if not ok[0]:
                    continue
                k = int(np.argmin(ok)) - 1 if not ok.all() else len(ok) - 1
            metric = row["metric"]
            replicas = max(n_sys // tp, 1)
            if metric == "output_tokens_per_s":
                pred = float(pts.output_tokens_per_s[k]) * replicas
            elif metric == "tpot_ms":
                pred = float(pts.iteration_s[k]) * 1e3
            elif metric == "ttft_ms":
                pred = float(pts.ttft_s[k]) * 1e3
            elif metric == "output_tokens_per_s_per_user":
                pred = 1.0 / float(pts.iteration_s[k])
            else:
                continue
            out.append(
                Comparison(
                    kind="text", model=model, gpu=gpu, num_gpus=n_sys, quantity=metric, measured=value, predicted=pred,
                    dataset="project", verified="UNVERIFIED" not in row.get("notes", ""), source=row["source"],
                )
            )
    return out


def median_abs_error(rows: list[Comparison]) -> float:
    if not rows:
        raise UserError("validation data", "(no rows)", "at least one comparable row is needed")
    return median(abs(r.error) for r in rows)
