"""Evaluation and release gates (docs/evaluation.md).

`evaluate()` loads a run as it was trained (4-bit base + adapter) and measures, on its own data:
- loss/perplexity base vs tuned on the validation split (the adapter disabled = the base model, so the
  comparison shares quantization and data exactly);
- baselines on one comparison sample (`compare_records` validation records): the base model zero-shot, the
  base model few-shot (k TRAINING examples in the prompt, never an evaluation example) and the tuned model,
  each with loss/perplexity and greedy-generation exact match, token F1 and ROUGE-1/2/L, plus the lift;
- PII leakage and memorization (appliance.evaluate.leakage): canary exposure and verbatim emission,
  identifiers per 1,000 generated tokens (the policy's analyzer over sampled generations from training
  prompts), verbatim regurgitation of training responses;
- the release gates of the policy (`check_gates`) → one verdict, saved beside the report;
- a model card (markdown + JSON).
Everything lands in `runs/<id>/eval/` (report.json, verdict.json, samples.jsonl (scrubbed), model_card.*)
and is audited as one `evaluate.complete` record (fail-closed: no unaudited report stays behind).
"""


from __future__ import annotations

import importlib
from typing import Any

# A lazy facade: `appliance --help` imports appliance.evaluate.cli, which must not pull in pydantic, the
# audit log or torch. Names resolve on first use.
_EXPORTS = {
    "evaluate": "core",
    "eval_dir": "core",
    "check_gates": "gates",
    "describe": "gates",
    "load_verdict": "gates",
    "release_check": "gates",
    "VERDICT_FILE": "gates",
}


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'appliance.evaluate' has no attribute {name!r}")
    return getattr(importlib.import_module(f"appliance.evaluate.{_EXPORTS[name]}"), name)


__all__ = sorted(_EXPORTS)
