"""Side-by-side comparison of capplan and llm-analysis (PyPI ``llm-analysis``, by cli99) on the published
LLM serving measurements in validation/text_measurements.csv.

Run from the repository root (needs only capplan's own dependencies in the running python):

    python benchmarks/peers/compare_llm_analysis.py

The first run creates benchmarks/peers/.venv-llm-analysis (git-ignored) and pip-installs llm-analysis
there (about a minute); later runs reuse it. llm-analysis is never imported by capplan: it runs in that
venv as a subprocess (_llm_analysis_driver.py), which reads the rows as JSON on stdin and prints its
predictions as JSON. Options: --rebuild-venv, --venv DIR, --repeats N (timing).

capplan's predictions are exactly those of ``capplan.analysis.validate.text_comparisons()`` (default efficiency
profile). llm-analysis is run with the settings its users commonly pick: flops_efficiency 0.5,
hbm_memory_efficiency 0.9, and, where the row states no batch, the largest batch that its own memory
checks accept. Mappings (details in docs/peers.md):

* model: a ModelConfig JSON file built from workloads/text/<id>.toml (llm-analysis ships no config for
  these models, except a Llama-2-70B fine-tune that is used for llama-2-70b). llm-analysis has no
  gated-MLP flag for inference, so a SwiGLU MLP of width F is given as ffn_embed_dim = 1.5 F (same
  parameter count); MoE sets moe_num_experts / moe_top_k (shared experts counted as always-routed
  experts). Multi-head latent attention (DeepSeek-V3) cannot be expressed: those rows are reported as
  unsupported.
* GPU: its shipped h100-sxm-80gb / a100-sxm-80gb configs; for other GPUs a GPUConfig from
  hardware_profiles/<id>.toml (dense bf16 / fp8 / fp4 peaks, HBM GB and bandwidth, scale-up link).
* precision: bf16 -> w16a16e16, fp8 -> w8a8e16, fp4 -> w4a4e16; KV cache bytes as capplan assumes
  (1 for fp8/fp4 where the GPU has fp8, else 2).
* tensor parallel size = the row's tp; output_tokens_per_s = total_tokens_per_sec (output tokens over
  prefill + decode time) per replica x num_gpus / tp; tpot_ms = decode_latency; ttft_ms =
  prefill_latency; output_tokens_per_s_per_user = 1 / decode_latency.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import os
import subprocess
import sys
import tempfile
import time
import venv
from pathlib import Path
from statistics import median

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
sys.path.insert(0, str(REPO))  # compare the checkout, not some installed capplan

from capplan.analysis.validate import text_comparisons, validation_dir  # noqa: E402
from capplan.catalog import load_catalog  # noqa: E402

LLM_ANALYSIS_SPEC = "llm-analysis==0.2.2"
DEFAULT_VENV = HERE / ".venv-llm-analysis"
DRIVER = HERE / "_llm_analysis_driver.py"
SETTINGS = {"flops_efficiency": 0.5, "hbm_memory_efficiency": 0.9}
METRICS = ("output_tokens_per_s", "tpot_ms", "ttft_ms", "output_tokens_per_s_per_user")

# llm-analysis's shipped configs, used where they describe the same hardware / architecture.
SHIPPED_GPU = {"h100-sxm": "h100-sxm-80gb", "a100-sxm-80gb": "a100-sxm-80gb"}
SHIPPED_MODEL = {"llama-2-70b": "upstage_Llama-2-70b-instruct-v2"}
DTYPE = {"bf16": "w16a16e16", "fp16": "w16a16e16", "fp8": "w8a8e16", "fp4": "w4a4e16"}
INTRA_NODE_MIN_MESSAGE_LATENCY_S = 8e-06  # the value in every GPU config llm-analysis ships


# ----------------------------------------------------------------------------------------- peer venv


def venv_python(venv_dir: Path) -> Path:
    return venv_dir / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def ensure_venv(venv_dir: Path, rebuild: bool) -> Path:
    py = venv_python(venv_dir)
    probe = [str(py), "-c", "from importlib.metadata import version; print(version('llm-analysis'))"]
    if not rebuild and py.exists():
        r = subprocess.run(probe, capture_output=True, text=True)
        if r.returncode == 0 and r.stdout.strip() == LLM_ANALYSIS_SPEC.split("==")[1]:
            return py
    print(f"creating {venv_dir} and installing {LLM_ANALYSIS_SPEC} (once) ...", file=sys.stderr)
    venv.EnvBuilder(with_pip=True, clear=True).create(venv_dir)
    subprocess.run([str(py), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", LLM_ANALYSIS_SPEC], check=True)
    subprocess.run(probe, check=True, capture_output=True)
    return py


# ------------------------------------------------------------------------------------------- configs


def model_config(w) -> tuple[dict | None, str | None]:
    """llm-analysis ModelConfig fields for a capplan text workload, or (None, reason)."""
    a, m = w.architecture, w.moe
    if w.mla is not None or a.attention == "mla":
        return None, "unsupported by llm-analysis (MLA attention: no latent KV cache in its ModelConfig)"
    mats = 1.5 if a.ffn_gated else 1.0  # llm-analysis counts 2 MLP matrices; SwiGLU has 3
    width = m.expert_ffn_size if m else a.ffn_size
    ffn = int(round(mats * width))
    cfg = {
        "name": f"capplan-{w.id}",
        "num_layers": a.layers,
        "n_head": a.heads,
        "hidden_dim": a.hidden_size,
        "vocab_size": a.vocab_size,
        "max_seq_len": a.max_context,
        "num_key_value_heads": a.kv_heads,
        "ffn_embed_dim": ffn,
        "expansion_ratio": ffn / a.hidden_size,
        "model_type": "capplan",
    }
    if m:
        cfg["moe_num_experts"] = m.n_experts + m.n_shared_experts
        cfg["moe_top_k"] = m.experts_per_token + m.n_shared_experts
    return cfg, None


def gpu_config(g) -> dict:
    c = g.compute
    cfg = {
        "name": f"capplan-{g.id}",
        "mem_per_GPU_in_GB": g.memory.memory_gb,
        "hbm_bandwidth_in_GB_per_sec": g.memory.memory_bandwidth_tb_per_s * 1000.0,
        "intra_node_bandwidth_in_GB_per_sec": g.interconnect.scale_up_gb_per_s,
        "intra_node_min_message_latency": INTRA_NODE_MIN_MESSAGE_LATENCY_S,
        "peak_fp16_TFLOPS": c.bf16_tflop_per_s,
    }
    if getattr(c, "fp8_tflop_per_s", None):
        cfg["peak_i8_TFLOPS"] = c.fp8_tflop_per_s
    if getattr(c, "fp4_tflop_per_s", None):
        cfg["peak_i4_TFLOPS"] = c.fp4_tflop_per_s
    return cfg


# ---------------------------------------------------------------------------------------------- rows


def _float(text: str) -> float | None:
    try:
        v = float(text)
    except ValueError:
        return None
    return v if math.isfinite(v) else None


def candidate_rows(cat) -> tuple[list[dict], int]:
    """CSV rows with prompt and output lengths, a value and a mapped metric, on catalogued models and
    GPUs (the rows capplan's text validation considers), and the count of rows left out."""
    rows, skipped = [], 0
    with (validation_dir() / "text_measurements.csv").open(newline="", encoding="utf-8") as fh:
        for r in csv.DictReader(fh):
            P, O, value = _float(r["prompt_tokens"]), _float(r["output_tokens"]), _float(r["value"])
            model, gpu = r["model"].strip(), r["gpu"].strip()
            if not (P and O and value) or r["metric"] not in METRICS or model not in cat.text or gpu not in cat.gpus:
                skipped += 1
                continue
            tp = int(r["tp"] or r["num_gpus"] or 1)
            n_sys = int(r["num_gpus"] or tp)
            precision = r["precision"] if r["precision"] in DTYPE else "bf16"
            rows.append(
                dict(model=model, gpu=gpu, tp=tp, num_gpus=n_sys, replicas=max(n_sys // tp, 1), precision=precision,
                     batch=_float(r["batch"]), prompt_tokens=int(round(P)), output_tokens=int(round(O)),
                     metric=r["metric"], measured=value, source=r["source"]),
            )
    return rows, skipped


def key(model, gpu, num_gpus, metric, measured, source):
    return (model, gpu, num_gpus, metric, round(measured, 9), source)


# ------------------------------------------------------------------------------------------- capplan


def run_capplan(cat, repeats: int):
    comps = text_comparisons(catalog=cat)
    t0 = time.perf_counter()
    for _ in range(repeats):
        text_comparisons(catalog=cat)
    per_eval = (time.perf_counter() - t0) / (repeats * max(len(comps), 1))
    by_key = {}
    for c in comps:
        k = key(c.model, c.gpu, c.num_gpus, c.quantity, c.measured, c.source)
        assert k not in by_key, f"ambiguous validation row {k}"
        by_key[k] = c.predicted
    return by_key, per_eval


# -------------------------------------------------------------------------------------- llm-analysis


def run_llm_analysis(cat, rows: list[dict], py: Path, work: Path, repeats: int) -> tuple[list[dict], str]:
    gpus, reqs, pre = {}, [], {}
    work.mkdir(parents=True, exist_ok=True)
    for i, r in enumerate(rows):
        g = cat.gpu(r["gpu"])
        if r["gpu"] in SHIPPED_GPU:
            gname = SHIPPED_GPU[r["gpu"]]
        else:
            gname = f"capplan-{r['gpu']}"
            gpus[gname] = gpu_config(g)
        if r["model"] in SHIPPED_MODEL:
            mref = SHIPPED_MODEL[r["model"]]
        else:
            cfg, reason = model_config(cat.text[r["model"]])
            if cfg is None:
                pre[i] = {"ok": False, "reason": reason}
                continue
            path = work / f"{cfg['name']}.json"
            path.write_text(json.dumps(cfg, indent=2) + "\n", encoding="utf-8")
            mref = str(path)
        fp8 = bool(getattr(g.compute, "fp8_tflop_per_s", None))
        kv = 1 if r["precision"] in ("fp8", "fp4") and fp8 else 2
        reqs.append((i, dict(model_config=mref, gpu_config=gname, dtype=DTYPE[r["precision"]], tp=r["tp"],
                             replicas=r["replicas"], batch=r["batch"], prompt_tokens=r["prompt_tokens"],
                             output_tokens=r["output_tokens"], kv_cache_dtype_bytes=kv, metric=r["metric"])))
    payload = json.dumps({"settings": SETTINGS, "gpus": gpus, "rows": [q for _, q in reqs], "repeats": repeats})
    proc = subprocess.run([str(py), str(DRIVER)], input=payload, capture_output=True, text=True)
    if proc.returncode != 0:
        sys.stderr.write(proc.stderr)
        raise SystemExit(f"llm-analysis driver failed (exit {proc.returncode})")
    answer = json.loads(proc.stdout)
    out: list[dict] = [pre.get(i, {}) for i in range(len(rows))]
    for (i, _), res in zip(reqs, answer["results"]):
        out[i] = res
    return out, answer["version"]


# ------------------------------------------------------------------------------------------- report


def fmt_val(v: float | None) -> str:
    if v is None:
        return "-"
    if abs(v) >= 1000:
        return f"{v:,.0f}"
    return f"{v:.4g}"


def fmt_err(e: float | None) -> str:
    return "-" if e is None else f"{e * 100:+.0f}%"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--venv", type=Path, default=DEFAULT_VENV, help="peer venv directory (default: %(default)s)")
    ap.add_argument("--rebuild-venv", action="store_true", help="recreate the peer venv")
    ap.add_argument("--repeats", type=int, default=20,
                    help="timing repeats: text_comparisons() calls, and llm-analysis evaluations per row (default: 20)")
    args = ap.parse_args(argv)

    py = ensure_venv(args.venv.resolve(), args.rebuild_venv)
    cat = load_catalog()
    rows, skipped = candidate_rows(cat)
    cap, cap_t = run_capplan(cat, args.repeats)
    with tempfile.TemporaryDirectory(prefix="capplan-peer-") as tmp:
        la, la_version = run_llm_analysis(cat, rows, py, Path(tmp), args.repeats)

    header = ("model", "gpu", "tp", "metric", "measured", "capplan", "err", "llm-analysis", "err", "LA batch")
    table, both, cap_only, la_only, notes = [], [], [], [], []
    decode_only = []
    for r, res in zip(rows, la):
        cp = cap.get(key(r["model"], r["gpu"], r["num_gpus"], r["metric"], r["measured"], r["source"]))
        ce = None if cp is None else (cp - r["measured"]) / r["measured"]
        lp = res.get("value") if res.get("ok") else None
        le = None if lp is None else (lp - r["measured"]) / r["measured"]
        if not res.get("ok"):
            notes.append(f"{r['model']} {r['gpu']} tp{r['tp']} {r['metric']}: {res.get('reason')}")
        if ce is not None:
            cap_only.append(abs(ce))
        if le is not None:
            la_only.append(abs(le))
            decode_only.append(abs((res["decode_only_value"] - r["measured"]) / r["measured"]))
        if ce is not None and le is not None:
            both.append((abs(ce), abs(le)))
        gpus = f"{r['num_gpus']}x {r['gpu']}" if r["num_gpus"] > 1 else r["gpu"]
        table.append((r["model"], gpus, str(r["tp"]), r["metric"], fmt_val(r["measured"]), fmt_val(cp), fmt_err(ce),
                      fmt_val(lp) if lp is not None else "unsupported", fmt_err(le), str(res.get("batch", "-"))))

    widths = [max(len(h), *(len(t[i]) for t in table)) for i, h in enumerate(header)]
    right = {2, 4, 5, 6, 7, 8, 9}

    def line(cells):
        return "  ".join(c.rjust(w) if i in right else c.ljust(w) for i, (c, w) in enumerate(zip(cells, widths)))

    print(f"capplan vs llm-analysis {la_version} on validation/text_measurements.csv "
          f"(llm-analysis: flops_efficiency {SETTINGS['flops_efficiency']}, hbm_memory_efficiency "
          f"{SETTINGS['hbm_memory_efficiency']}, largest batch that fits when none is stated)")
    print(line(header))
    print("  ".join("-" * w for w in widths))
    for t in table:
        print(line(t))
    print()
    pct = lambda xs: f"{median(xs) * 100:.1f}%" if xs else "n/a"  # noqa: E731
    print(f"median |error|, rows both tools evaluated (n={len(both)}): "
          f"capplan {pct([c for c, _ in both])}, llm-analysis {pct([lv for _, lv in both])}")
    print(f"median |error|, all rows each tool evaluated: capplan {pct(cap_only)} (n={len(cap_only)}), "
          f"llm-analysis {pct(la_only)} (n={len(la_only)})")
    print(f"llm-analysis with decode-only throughput (decode_tokens_per_sec, prefill ignored): "
          f"median |error| {pct(decode_only)} (n={len(decode_only)})")
    closer = sum(1 for c, lv in both if lv < c)
    print(f"rows where llm-analysis is closer: {closer} of {len(both)}")
    la_times = [res["seconds"] for res in la if "seconds" in res]
    la_mean = sum(la_times) / len(la_times) if la_times else float("nan")
    print(f"mean time per evaluation: capplan {cap_t * 1e3:.3f} ms (in-process, text_comparisons() x{args.repeats}), "
          f"llm-analysis {la_mean * 1e3:.3f} ms (inside the driver, per row, imports excluded; n={len(la_times)}, x{args.repeats})")
    if notes:
        print("not evaluated by llm-analysis:")
        for n in notes:
            print(f"  {n}")
    print(f"CSV rows without prompt/output lengths or otherwise not comparable (left out): {skipped}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
