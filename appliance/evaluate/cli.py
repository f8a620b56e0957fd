"""CLI for evaluation: `appliance evaluate RUN [--gates POLICY]` and `appliance runs list|compare`.

Wire into appliance/cli.py with `app.add_typer(runs_app, name="runs")` and
`app.command("evaluate")(evaluate_command)` (replacing the old evaluate_cmd).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

runs_app = typer.Typer(help="List and compare training runs.", no_args_is_help=True)

WorkspaceOpt = Annotated[
    Path | None,
    typer.Option("--workspace", "-w", help="workspace folder (default: $APPLIANCE_HOME, else ./workspace)"),
]


def _console() -> Any:
    from rich.console import Console

    return Console()


def _fmt(v: Any) -> str:
    if v is None:
        return "-"
    return f"{v:.4g}" if isinstance(v, float) else str(v)


def evaluate_command(
    run_id: Annotated[str, typer.Argument(help="run id")],
    gates: Annotated[
        str | None,
        typer.Option(
            "--gates", help="policy (name or path) whose gates decide; default: the run's scrub policy"
        ),
    ] = None,
    config: Annotated[
        Path | None,
        typer.Option("--config", "-c", help="pipeline YAML whose evaluate: section sets the sizes"),
    ] = None,
    workspace: WorkspaceOpt = None,
) -> None:
    """Evaluate a run (metrics, baselines, leakage) and decide its release gates; exit 1 when they fail."""
    from appliance.cli import _boot, _progress, _writable_workspace
    from appliance.config import EvaluateSection, load_pipeline_config
    from appliance.evaluate import describe, evaluate

    _boot()
    cfg = load_pipeline_config(config)[0].evaluate if config else EvaluateSection()
    ws = _writable_workspace(workspace)
    with _progress() as sink:
        rep = evaluate(ws, ws.get("run", run_id), cfg, sink=sink, gates=gates)
    print_report(rep, run_id)
    from appliance.evaluate import load_verdict

    verdict = load_verdict(ws.get("run", run_id))
    _console().print(describe(verdict), markup=False)
    if not verdict["passed"]:
        raise typer.Exit(1)


def print_report(rep: dict[str, Any], run_id: str) -> None:
    from rich.table import Table

    m = rep["metrics"]
    con = _console()
    con.print(
        f"perplexity {m['base']['perplexity']:.3f} → {m['tuned']['perplexity']:.3f} "
        f"(loss {m['base']['loss']:.4f} → {m['tuned']['loss']:.4f}, {rep['examples']} records)"
    )
    bl = rep.get("baselines")
    if bl:
        cols = ["loss", "perplexity", "exact_match", "token_f1", "rouge1", "rouge2", "rougeL"]
        t = Table(title=f"baselines on {bl['records']} records (few-shot k={bl['few_shot_k']})")
        t.add_column("system")
        for c in cols:
            t.add_column(c, justify="right")
        for name, row in bl["systems"].items():
            t.add_row(name, *[_fmt(row.get(c)) for c in cols])
        con.print(t)
    leak = rep.get("leakage", {})
    if leak.get("canaries"):
        c = leak["canaries"]
        con.print(f"canaries: {c['count']} ({c['planted']} planted), emissions {c['emissions']}, "
                  f"max exposure {c['max_exposure']:.2f} (base {(c.get('base') or {}).get('max_exposure', float('nan')):.2f})")  # fmt: skip
    if leak.get("identifiers"):
        i = leak["identifiers"]
        base = f"; base model {i['base']['per_1k_tokens']:.2f}" if i.get("base") else ""
        con.print(f"identifiers: {i['identifiers']} in {i['generated_tokens']} generated tokens "
                  f"({i['per_1k_tokens']:.2f} per 1,000{base})")  # fmt: skip


@runs_app.command("list")
def runs_list(workspace: WorkspaceOpt = None) -> None:
    """Every run with its main settings, metrics and gate verdict."""
    from rich.table import Table

    from appliance.cli import _workspace
    from appliance.evaluate.runs import list_runs

    ws = _workspace(workspace)
    t = Table(title="runs")
    t.add_column("run", no_wrap=True)
    for c in ("method", "steps", "lr", "r", "ppl base", "ppl tuned", "token F1", "verdict"):
        t.add_column(c)
    for r in list_runs(ws):
        t.add_row(r["id"], _fmt(r["config"]["method"]), _fmt(r["steps"]), _fmt(r["config"]["hparams.lr"]),
                  _fmt(r["config"]["lora.r"]), _fmt(r["base"].get("perplexity")),
                  _fmt(r["metrics"].get("perplexity")), _fmt(r["metrics"].get("token_f1")),
                  r["verdict"] or "not evaluated")  # fmt: skip
    _console().print(t)


@runs_app.command("compare")
def runs_compare(
    run_ids: Annotated[list[str], typer.Argument(help="two or more run ids")],
    policy: Annotated[
        str | None,
        typer.Option(
            "--policy", help="policy whose primary metric picks the best (default: the runs' gates policy)"
        ),
    ] = None,
    workspace: WorkspaceOpt = None,
) -> None:
    """Configs and metrics side by side; which run is best by the policy's primary metric. Saved and audited."""
    from rich.table import Table

    from appliance.cli import _writable_workspace
    from appliance.evaluate.runs import CONFIG_KEYS, METRIC_KEYS, compare_runs

    ws = _writable_workspace(workspace)
    res = compare_runs(ws, run_ids, policy)
    t = Table(title=f"comparison (best by {res['primary_metric']}, {res['direction']} is better)")
    t.add_column("")
    for r in res["runs"]:
        t.add_column(r["id"] + (" (best)" if r["id"] == res["best"] else ""))
    for k in CONFIG_KEYS:
        t.add_row(
            k + (" *" if k in res["config_differs"] else ""), *[_fmt(r["config"][k]) for r in res["runs"]]
        )
    for k in METRIC_KEYS:
        t.add_row(k, *[_fmt(r["metrics"].get(k)) for r in res["runs"]])
    for k in ("canary_emissions", "identifiers_per_1k_tokens"):
        t.add_row(k, *[_fmt((r.get("leakage") or {}).get(k)) for r in res["runs"]])
    t.add_row("verdict", *[r["verdict"] or "not evaluated" for r in res["runs"]])
    _console().print(t)
    _console().print(
        f"best: {res['best'] or 'none'} (among {res['best_among']}); saved to {res['file']}", markup=False
    )
