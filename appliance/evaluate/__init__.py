"""Evaluation (foundation: response-token loss and perplexity on the validation split, base vs tuned).

Both numbers come from the same loaded model: the adapter disabled gives the base model's loss, enabled
gives the tuned model's, so the comparison shares quantization and data exactly. The report is written to
`runs/<id>/eval/report.json` and audited. The validation issue adds task metrics, baselines and gates.
"""

from __future__ import annotations

import math
from typing import Any

from appliance.audit import AuditLog
from appliance.config import EvaluateSection, TrainSection
from appliance.errors import ApplianceError
from appliance.events import EventSink, NullSink, StageProgress
from appliance.workspace import Artifact, Workspace, sha256_file, utc_now, write_json_atomic


def _ppl(loss: float) -> float:
    return math.exp(min(loss, 50.0))


def evaluate(
    ws: Workspace, run: Artifact, cfg: EvaluateSection | None = None, sink: EventSink | None = None
) -> dict:
    from appliance.train import encode_split, load_run_model, mean_loss

    cfg = cfg or EvaluateSection()
    sink = sink or NullSink()
    train_cfg = TrainSection.model_validate(
        {k: v for k, v in run.manifest["config"].items() if k in TrainSection.model_fields}
    )
    dataset = ws.get("dataset", run.manifest["config"]["dataset"])
    with StageProgress(sink, "evaluate", 2, f"run {run.id}") as prog:
        model, tokenizer, _base, device = load_run_model(ws, run)
        split = "validation" if dataset.manifest["summary"].get("splits", {}).get("validation") else "train"
        examples, _ = encode_split(
            tokenizer, dataset.file(f"{split}.jsonl"), train_cfg.hparams.seq_len, train_cfg.system_prompt
        )
        if cfg.max_records:
            examples = examples[: cfg.max_records]
        if not examples:
            raise ApplianceError(f"dataset {dataset.id} has no {split} records to evaluate on")
        pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
        with model.disable_adapter():
            base_loss = mean_loss(model, examples, pad_id, cfg.batch_size, device)
        prog.advance(base_loss=base_loss)
        tuned_loss = mean_loss(model, examples, pad_id, cfg.batch_size, device)
        prog.advance(tuned_loss=tuned_loss)
        report: dict[str, Any] = {
            "run": run.id,
            "run_manifest_sha256": run.manifest_sha256,
            "dataset": dataset.id,
            "split": split,
            "examples": len(examples),
            "created": utc_now(),
            "metrics": {
                "base": {"loss": round(base_loss, 5), "perplexity": round(_ppl(base_loss), 4)},
                "tuned": {"loss": round(tuned_loss, 5), "perplexity": round(_ppl(tuned_loss), 4)},
            },
        }
        report["improved"] = tuned_loss < base_loss
        path = run.path / "eval" / "report.json"
        write_json_atomic(path, report)
        prog.end(f"run {run.id}", ppl_before=_ppl(base_loss), ppl_after=_ppl(tuned_loss))
    try:
        AuditLog(ws.audit_dir).record(
            "evaluate.complete",
            artifacts={run.id: run.manifest_sha256, f"{run.id}/eval/report.json": sha256_file(path)},
            details={
                "split": split,
                "examples": len(examples),
                **{f"{k}_loss": v["loss"] for k, v in report["metrics"].items()},
            },
        )
    except Exception:
        path.unlink(missing_ok=True)  # fail-closed: no unaudited report
        raise

    return report
