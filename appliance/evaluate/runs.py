"""Iteration: list runs and compare them side by side (config + metrics + verdict), pick the best.

The best run is the one with the best value of the policy's primary metric among the runs whose gates
passed (among all evaluated runs when none passed, and the comparison says so). Comparisons are saved to
`<workspace>/comparisons/<stamp>.json` and audited (`runs.compare`).
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from appliance.errors import BadInput
from appliance.evaluate.gates import load_verdict, metric_value
from appliance.evaluate.metrics import higher_is_better
from appliance.workspace import Artifact, Workspace, sha256_file, write_json_atomic

CONFIG_KEYS = ("method", "dataset", "base_model", "lora.r", "lora.alpha", "lora.dropout", "hparams.lr",
               "hparams.max_steps", "hparams.epochs", "hparams.batch_size", "hparams.seq_len", "hparams.seed")  # fmt: skip
METRIC_KEYS = ("loss", "perplexity", "exact_match", "token_f1", "rougeL")


def _get(d: dict[str, Any], dotted: str) -> Any:
    for part in dotted.split("."):
        if not isinstance(d, dict):
            return None
        d = d.get(part)  # type: ignore[assignment]
    return d


def _report(run: Artifact) -> dict[str, Any] | None:
    p = run.path / "eval" / "report.json"
    return json.loads(p.read_text("utf-8")) if p.is_file() else None


def run_row(run: Artifact) -> dict[str, Any]:
    cfg = run.manifest.get("config", {})
    rep = _report(run) or {}
    verdict = load_verdict(run)
    row: dict[str, Any] = {
        "id": run.id,
        "created": run.manifest.get("created"),
        "config": {k: _get(cfg, k) for k in CONFIG_KEYS},
        "steps": run.manifest.get("summary", {}).get("steps"),
        "evaluated": bool(rep),
        "metrics": {},
        "base": {},
        "verdict": None if verdict is None else ("pass" if verdict.get("passed") else "fail"),
        "gates_policy": (verdict or {}).get("policy", {}).get("name"),
        "primary_metric": (verdict or {}).get("primary_metric"),
    }
    if rep:
        row["metrics"] = {k: metric_value(rep, "tuned", k) for k in METRIC_KEYS}
        row["base"] = {k: metric_value(rep, "base", k) for k in METRIC_KEYS}
        leak = rep.get("leakage", {})
        row["leakage"] = {
            "canary_emissions": (leak.get("canaries") or {}).get("emissions"),
            "canary_max_exposure": (leak.get("canaries") or {}).get("max_exposure"),
            "identifiers_per_1k_tokens": (leak.get("identifiers") or {}).get("per_1k_tokens"),
        }
    return row


def list_runs(ws: Workspace) -> list[dict[str, Any]]:
    return [run_row(r) for r in ws.list("run")]


def compare_runs(
    ws: Workspace, run_ids: list[str], policy: str | None = None, save: bool = True
) -> dict[str, Any]:
    if len(run_ids) < 2:
        raise BadInput("compare needs at least two run ids")
    runs = [ws.get("run", i) for i in run_ids]
    rows = [run_row(r) for r in runs]
    primary, pol_name = "perplexity", None
    if policy:
        from appliance.policy import load_policy

        loaded = load_policy(policy)
        pol_name = loaded.policy.name
        primary = loaded.policy.gates.primary_metric if loaded.policy.gates else primary
    else:
        named = next((r for r in rows if r["primary_metric"]), None)
        if named:
            primary, pol_name = named["primary_metric"], named["gates_policy"]
    higher = higher_is_better(primary)
    evaluated = [r for r in rows if r["evaluated"] and r["metrics"].get(primary) is not None]
    passing = [r for r in evaluated if r["verdict"] == "pass"]
    pool = passing or evaluated
    best = None
    if pool:
        best = (max if higher else min)(pool, key=lambda r: r["metrics"][primary])["id"]
    differs = sorted(k for k in CONFIG_KEYS if len({json.dumps(r["config"][k]) for r in rows}) > 1)
    result = {
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "runs": rows,
        "config_differs": differs,
        "primary_metric": primary,
        "direction": "higher" if higher else "lower",
        "policy": pol_name,
        "best": best,
        "best_among": "passing runs"
        if passing
        else ("evaluated runs (none passed its gates)" if evaluated else "none"),
    }
    if save:
        folder = ws.root / "comparisons"
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"cmp-{dt.datetime.now(dt.UTC).strftime('%Y%m%d-%H%M%S-%f')}.json"
        write_json_atomic(path, result)
        result["file"] = str(path)
        try:
            from appliance.audit import AuditLog

            AuditLog(ws.audit_dir, ws.keys_dir).record(
                "runs.compare",
                artifacts={
                    **{r.id: r.manifest_sha256 for r in runs},
                    f"comparisons/{path.name}": sha256_file(path),
                },
                details={"runs": run_ids, "primary_metric": primary, "best": best, "policy": pol_name},
            )
        except Exception:
            path.unlink(missing_ok=True)
            raise
    return result
