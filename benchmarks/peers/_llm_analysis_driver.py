"""Run llm-analysis on comparison rows. Executed by the peer venv's python, never imported by capplan.

stdin: JSON {"settings": {...}, "gpus": {name: GPUConfig fields}, "rows": [...], "repeats": n}, each row
naming its ModelConfig JSON file and GPU config. stdout: JSON {"version": ..., "results": [...]}, one
result per row, in order.

Each row is evaluated through llm-analysis's own entry point ``llm_analysis.analysis.infer`` (what
``python -m llm_analysis.analysis infer`` runs). Models go in as JSON config files (its documented
``model_name=<path.json>`` route); GPUs that it does not ship are added to its name-to-config mapping,
which is what dropping a JSON file into its gpu_configs folder does. When a row states no batch, the
batch is the largest that llm-analysis itself accepts: one call at batch 1 reports
``prefill_max_batch_size_per_gpu`` and ``decode_max_batch_size_per_gpu``, and the row is evaluated at
the smaller of the two (stepping down if its memory assertions still refuse it).

The time of each row (all infer calls it needs, including reading its model JSON) is measured here,
after the imports, as the mean over ``repeats`` evaluations.
"""

from __future__ import annotations

import contextlib
import json
import sys
import time


def main() -> None:
    req = json.load(sys.stdin)
    real_stdout = sys.stdout
    # llm-analysis logs through its own logger; keep stdout clean for the JSON answer.
    with contextlib.redirect_stdout(sys.stderr):
        from importlib.metadata import version

        from llm_analysis import config as la_config
        from llm_analysis.analysis import infer

        for name, fields in req["gpus"].items():
            la_config.gpu_configs[name] = la_config.GPUConfig(**fields)

        s = req["settings"]
        repeats = max(1, int(req.get("repeats", 1)))
        results = []
        for row in req["rows"]:
            t0 = time.perf_counter()
            for _ in range(repeats):
                out = evaluate(infer, row, s)
            out["seconds"] = (time.perf_counter() - t0) / repeats
            results.append(out)
    json.dump({"version": version("llm-analysis"), "results": results}, real_stdout)
    real_stdout.write("\n")


def run(infer, row: dict, s: dict, batch: int) -> dict:
    return infer(
        model_name=row["model_config"],
        gpu_name=row["gpu_config"],
        dtype_name=row["dtype"],
        log_level="ERROR",
        batch_size_per_gpu=batch,
        tp_size=row["tp"],
        seq_len=row["prompt_tokens"],
        num_tokens_to_generate=row["output_tokens"],
        kv_cache_dtype_bytes=row["kv_cache_dtype_bytes"],
        flops_efficiency=s["flops_efficiency"],
        hbm_memory_efficiency=s["hbm_memory_efficiency"],
    )


def evaluate(infer, row: dict, s: dict) -> dict:
    try:
        if row["batch"]:
            batch = int(row["batch"])
            summary = run(infer, row, s, batch)
        else:
            probe = run(infer, row, s, 1)
            batch = max(1, min(int(probe["prefill_max_batch_size_per_gpu"]), int(probe["decode_max_batch_size_per_gpu"])))
            summary = None
            while summary is None:
                try:
                    summary = run(infer, row, s, batch)
                except AssertionError:
                    if batch == 1:
                        raise
                    batch = max(1, int(batch * 0.99))
    except AssertionError as e:  # llm-analysis's memory checks: weights or KV cache do not fit
        return {"ok": False, "reason": "does not fit in llm-analysis: " + str(e).split(",")[0][:120]}

    metric = row["metric"]
    if metric == "output_tokens_per_s":
        # Output tokens over prefill + decode of the batch (llm-analysis's total_tokens_per_sec), per
        # tensor-parallel replica, times the replicas in the system.
        value = summary["total_tokens_per_sec"] * row["replicas"]
    elif metric == "tpot_ms":
        value = summary["decode_latency"] * 1e3
    elif metric == "ttft_ms":
        value = summary["prefill_latency"] * 1e3
    elif metric == "output_tokens_per_s_per_user":
        value = 1.0 / summary["decode_latency"]
    else:
        return {"ok": False, "reason": f"metric {metric} not mapped"}
    return {
        "ok": True,
        "value": value,
        "batch": batch,
        "decode_only_value": (summary["decode_tokens_per_sec"] * row["replicas"]) if metric == "output_tokens_per_s" else value,
    }


if __name__ == "__main__":
    main()
