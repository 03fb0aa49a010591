"""Terminal tables of `capplan validate` and `capplan calibrate`."""

from __future__ import annotations

from rich.console import Group
from rich.table import Table
from rich.text import Text

from capplan.report.fmt import pct, sig
from capplan.results import CalibrateResult, ValidateResult


def validate_report(r: ValidateResult) -> Group:
    t = Table(title=f"Predicted vs. measured (stack {r.stack}{', calibrated' if r.calibration else ''})", title_justify="left")
    with_causes = any(row.cause for row in r.rows)
    for col in ("model", "GPU", "n", "quantity", "measured", "predicted", "error") + (("cause",) if with_causes else ()):
        t.add_column(col, justify="right" if col in ("n", "measured", "predicted", "error") else "left")
    for row in r.rows:
        err = f"{row.error:+.0%}" + (" ‡" if row.beats_ideal else "")
        style = "dim" if row.beats_ideal else "red" if abs(row.error) > 0.3 else ""
        cells: list[str | Text] = [row.model, row.gpu, str(row.num_gpus), row.quantity + ("" if row.verified else " †"), sig(row.measured), sig(row.predicted), Text(err, style=style)]
        t.add_row(*cells, *((Text(row.cause or "", style="dim"),) if with_causes else ()))
    s = Table(title="Error (signed: below 0 the model is optimistic, it predicts less time than measured)", title_justify="left")
    for col in ("group", "rows", "median |error|", "P90 |error|", "signed median"):
        s.add_column(col, justify="left" if col == "group" else "right")
    for g in r.summary:
        s.add_row(g.group, str(g.n), pct(g.median_abs_error), pct(g.p90_abs_error), f"{g.median_signed_error:+.0%}")
    notes = [Text("† secondary source (see the row's source in --format json)", style="dim")]
    beats = [row.line for row in r.rows if row.beats_ideal]
    if beats:
        notes.append(Text(
            f"‡ faster than the run with every kernel at peak and no overheads, so the run had something its row does not state; "
            f"not in the error summary (CSV lines {', '.join(map(str, beats))})", style="dim",
        ))
    if with_causes:
        notes.append(Text(
            "cause: why a row is more than 30% off, explained under that id in validation/residuals.toml and in docs/validation.md "
            "('Every row more than 30% off')", style="dim",
        ))
    return Group(t, *notes, Text(""), s)


def calibrate_report(r: CalibrateResult) -> Group:
    t = Table(title=f"Calibration on {r.measurements} ({r.n_rows} rows, stack {r.stack})", title_justify="left")
    t.add_column("kernels")
    t.add_column("GPU")
    t.add_column("op class")
    t.add_column("efficiency × default", justify="right")
    for f in r.factors:
        t.add_row(f.kind, f.gpu, f.op_class, f"{f.multiplier:.3f}")
    e = Table(title="Median absolute error", title_justify="left", show_header=False)
    e.add_column()
    e.add_column(justify="right")
    e.add_row("defaults", pct(r.default_median_abs_error))
    e.add_row("fitted (in sample)", pct(r.fitted_median_abs_error))
    e.add_row(f"held out ({r.held_out_method})", pct(r.held_out_median_abs_error))
    parts: list = [t, Text(""), e]
    parts += [Text(f"Warning: {w}", style="bold yellow") for w in r.warnings]
    if r.rejected_rows:
        parts.append(Text(f"{len(r.rejected_rows)} rows not used in the fit (memory rows, no time to fit, or faster than any kernel could run them): see --format json", style="dim"))
    parts.append(Text(f"written to {r.calibration_file}: use it with --calibration" if r.calibration_file else "add --write FILE to save the fit", style="dim"))
    return Group(*parts)
