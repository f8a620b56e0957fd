"""Hyperparameter search: every trial is a training run in the workspace, chosen by validation loss.

Optuna drives all three strategies over categorical choices from `train.hpo.space` (grid: every point enqueued
in order on a RandomSampler study, since Optuna's GridSampler only runs inside `study.optimize`; random;
TPESampler); with pruning on, a MedianPruner stops a trial whose validation loss at an evaluation step is
worse than the median of earlier trials at that step. The comparison table is saved as a `study` artifact
(studies/<id>/trials.json and trials.md) whose inputs are the trial runs, and the search is audited.
"""

from __future__ import annotations

import itertools
import json
import math
import shutil
from typing import Any

from appliance.audit import audit_artifact
from appliance.config import HpoConfig, TrainSection
from appliance.errors import ApplianceError, BadInput
from appliance.events import EventSink, NullSink, info
from appliance.train.engine import StopFlag, TrainingInterrupted
from appliance.workspace import Artifact, Workspace


def apply_params(cfg: TrainSection, params: dict[str, Any]) -> TrainSection:
    """`cfg` with dotted keys set, validated again (so a bad value fails like a bad config would)."""
    data = cfg.model_dump(exclude={"hpo"})
    for key, value in params.items():
        node = data
        *path, leaf = key.split(".")
        for p in path:
            node = node[p]
        node[leaf] = value
    return TrainSection.model_validate(data)


def _sampler(h: HpoConfig) -> Any:
    import optuna

    if h.strategy in ("grid", "random"):  # grid points are enqueued in order (see search)
        return optuna.samplers.RandomSampler(seed=h.seed)
    return optuna.samplers.TPESampler(seed=h.seed, n_startup_trials=min(4, h.trials))


def n_trials(h: HpoConfig) -> int:
    return math.prod(len(v) for v in h.space.values()) if h.strategy == "grid" else h.trials


def search(
    ws: Workspace,
    dataset: Artifact,
    base: Artifact,
    cfg: TrainSection,
    sink: EventSink | None = None,
    stop: StopFlag | None = None,
) -> tuple[Artifact, Artifact]:
    """Run the trials; returns (best run, study artifact). A stop request (Ctrl-C, SIGTERM, `stop.cancel()`)
    ends the whole search, not just the current trial."""
    import optuna
    from accelerate import PartialState

    from appliance.train.run import checkpoint_root, train

    if cfg.hpo is None:
        raise BadInput("train.hpo is not set")
    if PartialState().num_processes > 1:
        raise BadInput("run the hyperparameter search in one process (trials are small); launch single runs with DDP")
    stop = stop if stop is not None else StopFlag()
    sink = sink or NullSink()
    h = cfg.hpo
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    pruner = optuna.pruners.MedianPruner(n_startup_trials=1, n_warmup_steps=0) if h.pruning else optuna.pruners.NopPruner()
    study = optuna.create_study(direction="minimize", sampler=_sampler(h), pruner=pruner)
    total = n_trials(h)
    if h.strategy == "grid":
        keys = list(h.space)
        for point in itertools.product(*(h.space[k] for k in keys)):
            study.enqueue_trial(dict(zip(keys, point, strict=True)))
    rows: list[dict[str, Any]] = []
    runs: list[Artifact] = []
    for number in range(total):
        trial = study.ask()
        params = {k: trial.suggest_categorical(k, list(v)) for k, v in h.space.items()}
        tcfg = apply_params(cfg, params)  # without eval_steps, fit evaluates 4 times per trial for pruning
        info(sink, "hpo", f"trial {number + 1}/{total}", **params)

        def on_eval(step: int, val_loss: float, trial: Any = trial) -> bool:
            trial.report(val_loss, step)
            return trial.should_prune()

        before = set(checkpoint_root(ws, "").glob("run-*"))
        try:
            run = train(ws, dataset, base, tcfg, sink, on_eval=on_eval, stop=stop)
        except TrainingInterrupted:
            raise
        except ApplianceError as e:
            for leftover in set(checkpoint_root(ws, "").glob("run-*")) - before:  # a failed trial is not resumable
                shutil.rmtree(leftover, ignore_errors=True)
            study.tell(trial, state=optuna.trial.TrialState.FAIL)
            rows.append({"trial": number, "params": params, "state": "failed", "error": str(e)[:300]})
            continue
        s = run.manifest["summary"]
        value = s["val_loss"] if s.get("val_loss") is not None else s.get("best_val_loss")
        if s.get("pruned"):
            study.tell(trial, state=optuna.trial.TrialState.PRUNED)
        else:
            study.tell(trial, value)
        runs.append(run)
        rows.append({"trial": number, "run": run.id, "params": params, "state": "pruned" if s.get("pruned") else "complete",
                     "val_loss": value, "steps": s["steps"], "tokens_per_s": s["tokens_per_s"],
                     "seconds": s["seconds"]})  # fmt: skip
    complete = [r for r in rows if r["state"] == "complete" and r.get("val_loss") is not None]
    if not complete:
        raise ApplianceError("hyperparameter search: no trial completed; see the trial errors above: "
                             + "; ".join(r.get("error", r["state"]) for r in rows[:3]))  # fmt: skip
    best = min(complete, key=lambda r: r["val_loss"])
    best_run = next(r for r in runs if r.id == best["run"])
    table = {"strategy": h.strategy, "metric": "validation_loss", "direction": "minimize", "best": best,
             "trials": rows}  # fmt: skip
    with ws.new_artifact("study", inputs=[r.ref() for r in runs],
                         config={"hpo": h.model_dump(), "train": cfg.model_dump(exclude={"hpo"})}) as b:  # fmt: skip
        (b.path / "trials.json").write_text(json.dumps(table, indent=2) + "\n", encoding="utf-8")
        (b.path / "trials.md").write_text(render_table(table), encoding="utf-8")
        b.summary = {"strategy": h.strategy, "trials": len(rows), "completed": len(complete),
                     "pruned": sum(r["state"] == "pruned" for r in rows), "best_run": best["run"],
                     "best_val_loss": best["val_loss"], "best_params": best["params"]}  # fmt: skip
    study_art = ws.get("study", b.id)
    audit_artifact(ws, "train.hpo", study_art, study_art.manifest["summary"],
                   extra={r.id: r.manifest_sha256 for r in runs})  # fmt: skip
    return best_run, study_art


def render_table(table: dict[str, Any]) -> str:
    keys = sorted({k for r in table["trials"] for k in r["params"]})
    head = ["trial", "run", *keys, "state", "val_loss", "steps"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in table["trials"]:
        vals = [r["trial"], r.get("run", "-"), *[r["params"].get(k) for k in keys], r["state"],
                r.get("val_loss", "-"), r.get("steps", "-")]  # fmt: skip
        lines.append("| " + " | ".join(str(v) for v in vals) + " |")
    lines.append(f"\nbest: trial {table['best']['trial']} ({table['best']['run']}), "
                 f"validation loss {table['best']['val_loss']}\n")  # fmt: skip
    return "\n".join(lines)


__all__ = ["apply_params", "n_trials", "search"]
