"""Shared pieces of the API: option checks, economics, --set handling, result guards."""

from __future__ import annotations

import functools
import inspect
import math
import re
import types
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar, Union, get_args, get_origin

import numpy as np

from capplan.catalog import Catalog
from capplan.catalog.cache import ByIdentity
from capplan.catalog.calibration import load_calibration
from capplan.catalog.knobs import expand_sets
from capplan.catalog.load import existing_file
from capplan.catalog.overrides import apply_to_catalog, economics_overlay, parse_sets, request_sets
from capplan.errors import UserError
from capplan.models.precision import COMPUTE_PRECISION
from capplan.planning.core import AUTO_TP  # noqa: F401  (re-exported)
from capplan.planning.costs import GPUHourCost, gpu_hour_cost
from capplan.results import (
    EconomicsUsed,
    EfficiencyUsed,
)
from capplan.results_base import Out

if TYPE_CHECKING:
    from pydantic import BaseModel

    from capplan.catalog.schemas import Economics, GPUProfile

DEFAULT_VIDEO_WORKLOAD = "wan2.1-t2v-14b"
DEFAULT_GPU = "h100-sxm"
VIDEO_PRECISIONS = ("bf16", "fp16", "fp8", "fp4")

#: Named resolutions, 16:9 frames (width x height).
RESOLUTIONS: dict[str, tuple[int, int]] = {
    "360p": (640, 360),
    "480p": (854, 480),
    "540p": (960, 540),
    "720p": (1280, 720),
    "1080p": (1920, 1080),
    "1440p": (2560, 1440),
    "2160p": (3840, 2160),
    "4k": (3840, 2160),
}
MAX_PIXELS_PER_SIDE = 16384
MAX_GPUS = 4096


def parse_resolution(text: str, option: str = "resolution") -> tuple[int, int]:
    """'720p' or '1280x720' -> (width, height)."""
    if not isinstance(text, str):
        raise UserError(option, text, f"use one of {', '.join(RESOLUTIONS)} or WIDTHxHEIGHT")
    key = text.strip().lower()
    if key in RESOLUTIONS:
        return RESOLUTIONS[key]
    m = re.fullmatch(r"(\d{1,6})\s*[x×]\s*(\d{1,6})", key)
    if m:
        w, h = int(m.group(1)), int(m.group(2))
        if 0 < w <= MAX_PIXELS_PER_SIDE and 0 < h <= MAX_PIXELS_PER_SIDE:
            return w, h
    raise UserError(option, text, f"use one of {', '.join(RESOLUTIONS)} or WIDTHxHEIGHT with sides 1..{MAX_PIXELS_PER_SIDE}")


def _positive(option: str, value: float | int | None, *, integer: bool = False, upper: float = math.inf, zero: bool = False) -> None:
    """``value`` (None: not given) is a finite number above 0 (from 0 with ``zero``), at most ``upper``,
    and whole with ``integer``; else a UserError naming ``option``."""
    if value is None:
        return
    try:
        low_ok = value >= 0 if zero else value > 0
        bad = isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or not low_ok or value > upper
    except (OverflowError, TypeError):  # an int beyond float range; (TypeError: a non-number, caught above)
        bad = True
    if bad:
        kind = "a whole number" if integer else "a number"
        rng = f" at most {upper:g}" if math.isfinite(upper) else ""
        raise UserError(option, value, f"it must be {kind} {'from 0' if zero else 'greater than 0'}{rng}")
    if integer and int(value) != value:
        raise UserError(option, value, "it must be a whole number")


def _check_precision(gpu: GPUProfile, precision: str, allowed: tuple[str, ...], option: str = "precision") -> None:
    if precision not in allowed:
        raise UserError(option, precision, f"choose one of {', '.join(allowed)}")
    if gpu.peak_tflop_per_s(COMPUTE_PRECISION[precision]) is None:
        have = [p for p in allowed if gpu.peak_tflop_per_s(COMPUTE_PRECISION[p]) is not None]
        raise UserError(option, precision, f"{gpu.id} has no {precision} tensor cores; it supports {', '.join(have)}")


def resolve_economics(
    cat: Catalog,
    *,
    pricing: str | None = None,
    pue: float | None = None,
    electricity_usd_per_kwh: float | None = None,
    economics: str | Path | None = None,
    overlay: dict[str, Any] | None = None,
) -> Economics:
    """The catalogue's economics, under a user's --economics file, under --set economics.* keys, under
    single options."""
    if pricing is not None and pricing not in ("rent", "own"):
        raise UserError("pricing", pricing, "choose rent or own")
    if pue is not None and (not isinstance(pue, (int, float)) or not math.isfinite(pue) or not 1.0 <= pue <= 5.0):
        raise UserError("pue", pue, "PUE is facility power over IT power: a number from 1 to 5")
    if electricity_usd_per_kwh is not None and (not math.isfinite(electricity_usd_per_kwh) or not 0 <= electricity_usd_per_kwh <= 100):
        raise UserError("electricity_usd_per_kwh", electricity_usd_per_kwh, "it must be a price from 0 to 100 USD/kWh")
    if economics is not None and not isinstance(economics, (str, Path)):
        raise UserError("economics", economics, "give the path of a TOML file")
    path = existing_file("economics", economics) if economics is not None else None
    return cat.economics(
        path,
        overlay=overlay,
        overlay_source="--set",
        **{"pricing": pricing, "energy.pue": pue, "energy.electricity_usd_per_kwh": electricity_usd_per_kwh},
    )


#: Parameters of video()/text() that are how a call is run, not what is asked: not passed back in on re-entry.
_REENTRY = frozenset({"sets", "calibration", "uncertain", "samples", "seed", "catalog", "_economics_overlay"})


@functools.lru_cache(maxsize=8)
def request_args(fn: Any) -> tuple[str, ...]:
    """The request options of an API function (its parameters less the re-entry ones), read from its
    signature so that the --set / --uncertain re-entry can never drift from it."""
    return tuple(n for n in inspect.signature(fn).parameters if n not in _REENTRY)


M = TypeVar("M")


@functools.cache
def _layout(cls: type[BaseModel]) -> tuple[tuple[tuple[str, type], ...], tuple[str, ...], bool]:
    """(the fields declared float or int (or ``| None``), every field name, whether model_construct's
    own steps are needed: aliases, extra fields kept, a post-init, a root model)."""
    numbers: list[tuple[str, type]] = []
    for name, info in cls.__pydantic_fields__.items():
        ann: Any = info.annotation
        if get_origin(ann) in (Union, types.UnionType):
            args = [a for a in get_args(ann) if a is not type(None)]
            ann = args[0] if len(args) == 1 else None
        if ann is float or ann is int:
            numbers.append((name, ann))
    fields = cls.__pydantic_fields__
    special = (
        cls.model_config.get("extra") == "allow" or bool(cls.__pydantic_post_init__) or cls.__pydantic_root_model__
        or any(f.alias is not None or f.validation_alias is not None for f in fields.values())
    )
    return tuple(numbers), tuple(fields), special


def build(cls: type[M], **values: Any) -> M:
    """A result of ``cls`` from computed ``values``. The what-if results are records
    (:class:`capplan.results_base.Out`), whose constructor does what validation would still change:
    numbers become the declared float or int (an int in a float field would print as ``1``, not
    ``1.0``), defaults are filled in. A pydantic model is set up without running its validator, as
    ``model_construct`` would, with the same number coercion: a what-if's result is computed here, not
    input. tests/test_result_build.py checks both against pydantic's own validation."""
    if issubclass(cls, Out):
        return cls(**values)  # type: ignore[no-any-return]
    numbers, names, special = _layout(cls)  # type: ignore[arg-type]
    for name, kind in numbers:
        v = values.get(name)
        if v is not None and type(v) is not kind:
            values[name] = kind(v)
    if special:
        return cls.model_construct(**values)  # type: ignore[attr-defined, no-any-return]
    fields = cls.__pydantic_fields__  # type: ignore[attr-defined]
    d: dict[str, Any] = {}
    for name in names:
        if name in values:
            d[name] = values[name]
        elif not fields[name].is_required():
            d[name] = fields[name].get_default(call_default_factory=True, validated_data=d)
    m = cls.__new__(cls)
    object.__setattr__(m, "__dict__", d)
    object.__setattr__(m, "__pydantic_fields_set__", {k for k in values if k in fields})
    object.__setattr__(m, "__pydantic_extra__", None)
    object.__setattr__(m, "__pydantic_private__", None)
    return m


def _all_finite(values: Any) -> bool:
    # the models' own fields (no serialisation), one loop per model: a what-if checks some 80 numbers
    for v in values:
        t = type(v)
        if t is float:
            if v - v != 0.0:  # inf or NaN
                return False
        elif v is None or t is str or t is int or t is bool:
            continue
        elif hasattr(type(v), "model_dump"):  # a result record or a pydantic model: its fields
            if not _all_finite(v.__dict__.values()):
                return False
        elif isinstance(v, dict):
            if not _all_finite(v.values()):
                return False
        elif isinstance(v, list):
            if not _all_finite(v):
                return False
        elif isinstance(v, float) and not math.isfinite(v):
            return False
    return True


def ensure_finite(result: Any, what: str) -> Any:
    """Refuse a result with an infinite or NaN number: some input was too large or too small."""
    if _all_finite((result,)):
        return result

    def walk(x: Any, path: str) -> None:  # only to name the first bad number
        if isinstance(x, float):
            if not math.isfinite(x):
                raise UserError(
                    what, f"{path} = {x}", "the inputs are outside the range the model can compute (an input is absurdly large or small)"
                )
        elif hasattr(type(x), "model_dump"):
            for k, v in x.__dict__.items():
                walk(v, f"{path}.{k}" if path else k)
        elif isinstance(x, dict):
            for k, v in x.items():
                walk(v, f"{path}.{k}" if path else str(k))
        elif isinstance(x, list):
            for i, v in enumerate(x):
                walk(v, f"{path}.{i}")

    walk(result, "")
    return result


MAX_SAMPLES = 1_000_000


def _sets_or_uncertainty(
    fn: Any, kind: str, cat: Catalog, args: dict[str, Any], *, sets: list[str] | None, uncertain: list[str] | None,
    samples: int, seed: int, overlay: dict[str, Any] | None, calibration: Any = None,
) -> Any:
    """The two ways a video/text call is re-entered: --set (rerun on a changed catalogue) and --uncertain
    (a base run plus a Monte Carlo around it, through the same core)."""
    if sets:
        allowed = request_args(fn)
        return fn(**_apply_sets(cat, kind, sets, args, allowed), uncertain=uncertain, samples=samples, seed=seed, calibration=calibration)
    from capplan.planning import uncertainty as mc  # only here: a plain what-if does not pay for its import

    keys = mc.VIDEO_KEYS if kind == "video" else mc.TEXT_KEYS
    ranges = mc.parse_ranges(uncertain, keys)
    _positive("samples", samples, integer=True, upper=MAX_SAMPLES)
    base = fn(**args, catalog=cat, _economics_overlay=overlay, calibration=calibration)
    if not getattr(base, "fits_in_memory", True) and kind == "text":
        return base  # nothing to sample: no replica fits
    cal = load_calibration(calibration, set(cat.gpus))
    run = mc.video_uncertainty if kind == "video" else mc.text_uncertainty
    return base.model_copy(update={"uncertainty": run(base, ranges, int(samples), int(seed), cat, cal)})


_STRING_ARGS = ("resolution", "precision", "kv_precision", "stack", "offload", "long_video", "pricing", "economics")


def _apply_sets(cat: Catalog, kind: str, sets: list[str], args: dict[str, Any], allowed: tuple[str, ...]) -> dict[str, Any]:
    """Turn --set keys into a modified catalogue, an economics overlay and changed request options."""
    parsed = expand_sets(parse_sets(sets))
    other = "text" if kind == "video" else "video"
    for key, _ in parsed:
        if key.startswith(("scenario.", f"{other}.")):
            raise UserError(
                "--set", key, f"{key.split('.')[0]}. keys apply to `capplan {'plan' if key.startswith('scenario.') else other}`"
            )
    req = request_sets(parsed, kind)
    for name in req:
        if name not in allowed or name in ("workload", "gpu"):
            raise UserError(
                "--set", f"{kind}.{name}", f"{kind}. options are: {', '.join(a for a in allowed if a not in ('workload', 'gpu'))}"
            )
    for name in _STRING_ARGS:
        if name in req and req[name] is not None and not isinstance(req[name], str):
            raise UserError("--set", f"{kind}.{name}={req[name]!r}", f'{kind}.{name} takes text (quote it: {kind}.{name}="...")')
    for name in ("cfg", "no_latency_targets"):
        if name in req and not isinstance(req[name], bool):
            raise UserError("--set", f"{kind}.{name}={req[name]!r}", f"{kind}.{name} takes true or false")
    args = {**args, **req}
    if kind == "video":
        cat.video_workload(args["workload"])
    else:
        cat.text_workload(args["workload"])
    stack = cat.stack(args.get("stack"))
    new_cat = apply_to_catalog(cat, parsed, gpus=[cat.gpu(args["gpu"]).id], workload=args["workload"], stack=stack)
    return {**args, "catalog": new_cat, "_economics_overlay": economics_overlay(parsed) or None}


#: per-GPU and per-economics values of what-ifs (see ByIdentity)
_KEPT = ByIdentity()


def pcie_collectives_note(g: GPUProfile, gpus: int) -> list[str]:
    """A warning where ``gpus`` > 1 GPUs without a link faster than PCIe exchange activations: what their
    all-reduces and all-to-alls cost depends on how the server attaches the GPUs, which the profile's
    link rate cannot say (hardware_profiles/serving_kernels_research.md, section 11)."""
    if gpus <= 1 or g.form_factor != "pcie" or g.interconnect.scale_up_gb_per_s > g.interconnect.host_link_gb_per_s:
        return []
    return [
        f"{g.id} has no NVLink: the {gpus} GPUs' collectives cross PCIe, priced at {g.interconnect.scale_up_gb_per_s:g} GB/s per direction with "
        "peer-to-peer through one switch; measured NCCL all-reduces on such servers run several times slower where the GPUs sit on "
        "different CPU sockets, so this multi-GPU estimate may be optimistic (docs/validation.md, held-out check 8)"
    ]


def hour_cost(g: GPUProfile, econ: Economics, price_per_gpu_hour: float | None) -> GPUHourCost:
    """``gpu_hour_cost(g, econ, price_per_gpu_hour)``, kept for the same (immutable) GPU and economics."""
    return _KEPT.get((g, econ), ("hour", price_per_gpu_hour), lambda: gpu_hour_cost(g, econ, price_per_gpu_hour))  # type: ignore[no-any-return]


def economics_used(econ: Economics, hour: GPUHourCost) -> EconomicsUsed:
    """What a result reports of its economics (one object per economics and GPU-hour cost: it is frozen)."""
    return _KEPT.get((econ, hour), ("used",), lambda: _economics_used(econ, hour))  # type: ignore[no-any-return]


def _economics_used(econ: Economics, hour: GPUHourCost) -> EconomicsUsed:
    return build(
        EconomicsUsed,
        pricing=hour.pricing,  # type: ignore[arg-type]
        gpu_usd_per_hour=float(hour.usd_per_hour),
        hardware_usd_per_gpu_hour=float(hour.hardware_usd_per_hour),
        energy_usd_per_gpu_hour=float(hour.energy_usd_per_hour),
        pue=econ.energy.pue,
        electricity_usd_per_kwh=econ.energy.mean_usd_per_kwh,
        facility_w_per_gpu=float(hour.facility_w),
        carbon_kg_per_kwh=econ.energy.carbon_kg_per_kwh,
    )


def _efficiency_used(stack: str, rates: Any, eff: Any, *, serving: bool) -> EfficiencyUsed:
    """What the estimate assumed, for the report; ``serving``: the text model's serving-kernel figures."""

    def f(x: Any) -> float:
        return float(np.asarray(x))

    if serving:
        gemm = rates.serving_gemm_frac if rates.serving_gemm_frac is not None else rates.gemm_frac
        stream = rates.weight_stream_frac if rates.weight_stream_frac is not None else rates.memory_bandwidth_frac
        kv = rates.kv_bandwidth_frac if rates.kv_bandwidth_frac is not None else rates.memory_bandwidth_frac
        source = f"{eff.serving_source or ''} {eff.source}".strip()
        return build(
            EfficiencyUsed, stack=stack, gemm_frac=f(gemm), attention_frac=f(rates.attention_frac), conv_frac=f(rates.conv_frac),
            memory_bandwidth_frac=f(stream), kv_bandwidth_frac=f(kv), source=source,
        )
    return build(
        EfficiencyUsed, stack=stack, gemm_frac=f(rates.gemm_frac), attention_frac=f(rates.attention_frac), conv_frac=f(rates.conv_frac),
        memory_bandwidth_frac=f(rates.memory_bandwidth_frac), source=eff.source,
    )


def _efficiency(cat: Catalog, gpu_id: str, stack: str):
    by_stack = cat.efficiency.gpu[gpu_id]
    if stack not in by_stack:
        raise UserError("stack", stack, f"{gpu_id} has efficiency figures for: {', '.join(by_stack)}")
    return by_stack[stack]


DEFAULT_TEXT_WORKLOAD = "llama-3.1-70b"
TEXT_PRECISIONS = ("bf16", "fp16", "fp8", "int8", "fp4", "int4")
KV_PRECISIONS = ("bf16", "fp16", "fp8")
