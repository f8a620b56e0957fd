"""Release gates: one pass/fail verdict with every rule's value and threshold, from the policy's `gates:`.

Where the numbers come from (an evaluation report, see `appliance.evaluate.evaluate`):
- loss/perplexity of `tuned` and `base`: the headline loss set (`metrics`), the largest sample;
- every other metric, and every number of `base_few_shot`: the comparison sample (`baselines.systems`),
  on which all three systems are scored on the same records;
- canary emissions/exposure, identifiers per 1,000 generated tokens and verbatim characters: `leakage`.
A rule whose number was not measured fails: a release never passes on a test that did not run.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from appliance.errors import ApplianceError, BadInput
from appliance.evaluate.metrics import higher_is_better
from appliance.workspace import Artifact

VERDICT_FILE = "verdict.json"
HEADLINE = ("loss", "perplexity")


def metric_value(report: dict[str, Any], system: str, metric: str, same_sample: bool = False) -> float | None:
    """A system's metric from a report; loss/perplexity from the headline set unless `same_sample`."""
    if metric in HEADLINE and not same_sample and system in ("base", "tuned"):
        v = report.get("metrics", {}).get(system, {}).get(metric)
        if v is not None:
            return float(v)
    key = {"base": "base_zero_shot"}.get(system, system)
    v = report.get("baselines", {}).get("systems", {}).get(key, {}).get(metric)
    return None if v is None else float(v)


def _rule(kind: str, metric: str, value: float | None, op: str, threshold: float, **extra: Any) -> dict:
    if value is None:
        passed = False
    elif op == ">=":
        passed = value >= threshold
    else:
        passed = value <= threshold
    return {"rule": kind, "metric": metric, "value": value, "op": op, "threshold": threshold,
            "passed": passed, **({"note": "not measured"} if value is None else {}), **extra}  # fmt: skip


def check_gates(report: dict[str, Any], gates: Any, policy: dict[str, str] | None = None) -> dict[str, Any]:
    """The verdict of `gates` (a `policy.Gates`, or None) on an evaluation report."""
    rules: list[dict[str, Any]] = []
    if gates is None:
        rules.append({"rule": "gates_defined", "metric": None, "value": None, "op": "==", "threshold": None,
                      "passed": False, "note": "the policy defines no gates: add a gates: section"})  # fmt: skip
    else:
        for metric in [*gates.min, *gates.max, *gates.max_regression, gates.primary_metric]:
            try:
                higher_is_better(metric)
            except ValueError as exc:
                raise BadInput(f"policy gates: {exc}") from None
        for metric, threshold in gates.min.items():
            rules.append(_rule("min", metric, metric_value(report, "tuned", metric), ">=", threshold))
        for metric, threshold in gates.max.items():
            rules.append(_rule("max", metric, metric_value(report, "tuned", metric), "<=", threshold))
        for metric, allowed in gates.max_regression.items():
            same = gates.baseline == "base_few_shot"
            tuned = metric_value(report, "tuned", metric, same)
            base = metric_value(report, gates.baseline, metric, same)
            worse = None
            if tuned is not None and base is not None:
                worse = (base - tuned) if higher_is_better(metric) else (tuned - base)
            rules.append(_rule("max_regression", metric, None if worse is None else round(worse, 6), "<=",
                               allowed, baseline=gates.baseline, tuned=tuned, base=base))  # fmt: skip
        leak = report.get("leakage", {})
        canaries = leak.get("canaries") or {}
        ids = leak.get("identifiers") or {}
        reg = leak.get("regurgitation") or {}
        checks = [
            ("max_canary_emissions", "canary_emissions", canaries.get("emissions"), gates.max_canary_emissions),
            ("max_canary_exposure", "canary_max_exposure", canaries.get("max_exposure"), gates.max_canary_exposure),
            ("max_identifiers_per_1k_tokens", "identifiers_per_1k_tokens", ids.get("per_1k_tokens"),
             gates.max_identifiers_per_1k_tokens),
            ("max_verbatim_chars", "max_lcs_chars", reg.get("max_lcs_chars"), gates.max_verbatim_chars),
        ]  # fmt: skip
        for kind, metric, value, threshold in checks:
            if threshold is not None:
                rules.append(
                    _rule(kind, metric, None if value is None else float(value), "<=", float(threshold))
                )
    return {
        "run": report.get("run"),
        "run_manifest_sha256": report.get("run_manifest_sha256"),
        "policy": policy or {},
        "passed": all(r["passed"] for r in rules),
        "failed": [f"{r['rule']}:{r['metric']}" for r in rules if not r["passed"]],
        "rules": rules,
        "primary_metric": gates.primary_metric if gates is not None else None,
    }


def describe(verdict: dict[str, Any]) -> str:
    def fmt(r: dict) -> str:
        v = "not measured" if r["value"] is None else f"{r['value']:.4g}"
        return f"{r['rule']} {r['metric']}: {v} {r['op']} {r['threshold']}"

    head = "PASS" if verdict["passed"] else "FAIL"
    failed = [fmt(r) for r in verdict["rules"] if not r["passed"]]
    pol = verdict.get("policy", {}).get("name", "?")
    return f"{head} under policy {pol} ({len(verdict['rules'])} rules)" + (
        f"; failed: {'; '.join(failed)}" if failed else ""
    )


def load_verdict(run: Artifact) -> dict[str, Any] | None:
    path = Path(run.path) / "eval" / VERDICT_FILE
    if not path.is_file():
        return None
    return json.loads(path.read_text("utf-8"))


def release_check(run: Artifact, override_reason: str | None = None) -> dict[str, Any]:
    """What export needs: the run's verdict if it passed; otherwise ApplianceError, unless overridden.

    Returns {"passed", "verdict", "override"}; a verdict made for a different manifest of the run does not count."""
    verdict = load_verdict(run)
    problem = None
    if verdict is None:
        problem = f"run {run.id} has no gate verdict: run `appliance evaluate {run.id}` first"
    elif verdict.get("run_manifest_sha256") != run.manifest_sha256:
        problem = f"the gate verdict of run {run.id} was made for a different run manifest: evaluate it again"
    elif not verdict.get("passed"):
        problem = f"run {run.id} failed its release gates ({describe(verdict)})"
    if problem is None:
        return {"passed": True, "verdict": verdict, "override": None}
    reason = (override_reason or "").strip()
    if not reason:
        raise ApplianceError(f"{problem}; export refused. An operator may override with a reason (audited).")
    if len(reason) < 8:
        raise BadInput("an override reason must say why (at least 8 characters)")
    return {"passed": False, "verdict": verdict, "override": reason, "problem": problem}
