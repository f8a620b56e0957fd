"""The whole flow from one config: prepare → scrub → model → train → evaluate → export, each audited."""

from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from appliance.config import PipelineConfig, load_pipeline_config
from appliance.events import EventSink, NullSink
from appliance.workspace import Workspace


@dataclass
class PipelineResult:
    dataset_prepared: str = ""
    dataset_scrubbed: str = ""
    model: str = ""
    run: str = ""
    export: str = ""
    export_path: Path | None = None
    scrub: dict[str, Any] = field(default_factory=dict)
    train: dict[str, Any] = field(default_factory=dict)
    evaluation: dict[str, Any] = field(default_factory=dict)
    verdict: dict[str, Any] = field(default_factory=dict)  # the release-gate verdict (runs/<id>/eval/verdict.json)
    model_card: Path | None = None
    parity: dict[str, Any] = field(default_factory=dict)
    audit_records_written: int = 0
    audit_verified: str = ""
    seconds: dict[str, float] = field(default_factory=dict)


def demo_config_path() -> Path:
    return Path(str(resources.files("appliance.samples").joinpath("demo.yaml")))


def run_pipeline(
    ws: Workspace, cfg: PipelineConfig, base_dir: Path, sink: EventSink | None = None
) -> PipelineResult:
    from appliance.audit import AuditLog
    from appliance.data import prepare_dataset
    from appliance.evaluate import evaluate, load_verdict
    from appliance.export import export_onnx
    from appliance.models import resolve_model
    from appliance.scrub import scrub_dataset
    from appliance.train import train

    sink = sink or NullSink()
    log = AuditLog(ws.audit_dir, ws.keys_dir)
    before = len(log.records())
    res = PipelineResult()
    t = time.monotonic()

    def lap(name: str) -> None:
        nonlocal t
        now = time.monotonic()
        res.seconds[name] = round(now - t, 1)
        t = now

    with ws.lock():
        # The model comes first: its tokenizer measures token-length limits in data preparation.
        model = resolve_model(ws, cfg.model.base, sink)
        res.model = model.id
        lap("model")
        tokenizer = model.path if cfg.data.clean.max_tokens else None
        with contextlib.ExitStack() as stack:
            data_cfg = cfg.data
            if cfg.evaluate.plant_canaries and cfg.evaluate.canaries:
                # a raw copy of the source: in a claimed staging folder, removed after preparation, or by the
                # next artifact build in this workspace if this process is killed first
                folder = stack.enter_context(ws.scratch("canaries"))
                data_cfg, _ = plant_canaries_in_source(ws, cfg, base_dir, folder)
            prepared = prepare_dataset(ws, data_cfg, base_dir, sink, tokenizer=tokenizer)
        res.dataset_prepared = prepared.id
        lap("prepare")
        scrubbed = scrub_dataset(ws, prepared, cfg.scrub.policy, sink)
        res.dataset_scrubbed, res.scrub = scrubbed.id, scrubbed.manifest["summary"]
        lap("scrub")
        if cfg.data.augment.entity_swap or cfg.data.augment.templates:
            from appliance.data import augment_dataset

            scrubbed = augment_dataset(ws, scrubbed, cfg.data.augment, sink)  # train split only
            lap("augment")
        if cfg.train.hpo is not None:
            from appliance.train.hpo import search

            run, _study = search(ws, scrubbed, model, cfg.train, sink)
        else:
            run = train(ws, scrubbed, model, cfg.train, sink)
        res.run, res.train = run.id, run.manifest["summary"]
        lap("train")
        res.evaluation = evaluate(ws, run, cfg.evaluate, sink)
        res.verdict = load_verdict(run) or {}
        res.model_card = run.path / "eval" / "model_card.md"
        lap("evaluate")
        # export_onnx refuses a run whose gates did not pass (ApplianceError naming the failed rules); an
        # operator overrides only through `appliance export onnx --override-reason`, never from a config.
        exp = export_onnx(ws, run, cfg.export.onnx, sink=sink)
        res.export, res.export_path, res.parity = exp.id, exp.path, exp.manifest["summary"]
        lap("export")
        verdict = log.verify()
        res.audit_verified = verdict.describe()
        res.audit_records_written = verdict.records - before
    return res


def plant_canaries_in_source(
    ws: Workspace, cfg: PipelineConfig, base_dir: Path, folder: Path
) -> tuple[Any, Path]:
    """A copy of the raw JSONL source in `folder` (a `ws.scratch()` folder, which removes it) with the
    evaluation's canaries planted (audited with the secrets' fingerprints only), and the data section that
    reads it."""
    import json

    from appliance.audit import AuditLog
    from appliance.data import iter_jsonl
    from appliance.errors import BadInput
    from appliance.evaluate.leakage import make_canaries, plant_canaries
    from appliance.workspace import write_atomic

    ev, data = cfg.evaluate, cfg.data
    src = (base_dir / data.source).resolve()
    if src.suffix.lower() not in (".jsonl", ".json") or data.format != "instruction":
        raise BadInput("evaluate.plant_canaries works on JSONL instruction sources; set it to 0 for this data")
    canaries = make_canaries(ev.canaries, ev.seed, ev.canary_template)
    rows = [obj for _, obj in iter_jsonl(src)]
    fields = {"id": data.fields.id, "prompt": data.fields.prompt, "response": data.fields.response}
    planted = plant_canaries(rows, canaries, repeats=ev.plant_canaries, seed=ev.seed, fields=fields)
    out = folder / f"canaries-{src.stem}.jsonl"
    write_atomic(out, "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in planted))
    log = AuditLog(ws.audit_dir, ws.keys_dir)
    log.record(
        "data.canaries_planted",
        # the copy is deleted after preparation; its keyed HMAC is the prepared dataset's input, so lineage reads
        # original -> planted copy (here) -> dataset (data.prepare). Raw data: HMACs in the body, not hashes
        details={"source": log.file_pseudonym(src), "planted": log.file_pseudonym(out), "canaries": len(canaries),
                 "repeats": ev.plant_canaries, "template": ev.canary_template,
                 "fingerprints": [c.fingerprint for c in canaries]},
    )  # fmt: skip
    return data.model_copy(update={"source": str(out)}), out


def run_config_file(ws: Workspace, path: Path, sink: EventSink | None = None) -> PipelineResult:
    cfg, base_dir = load_pipeline_config(path)
    return run_pipeline(ws, cfg, base_dir, sink)
