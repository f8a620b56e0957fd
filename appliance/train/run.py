"""`train()`: a workspace run from scrubbed dataset(s) and a base model, resumable, audited.

While a run trains, its checkpoints live in `<workspace>/.checkpoints/<run-id>/` (with `run.json`, the
config it was started with), outside the staging folder that is discarded on failure, so an interrupted or
crashed run can be resumed with `--resume <run-id>`. When the run completes they are removed and the run
artifact holds: config.json, metrics.jsonl, adapter/ (qlora, lora) or weights/trained.safetensors (full,
freeze: only the tensors that were trained), head/ (a sequence-classification head), summary in the manifest.
"""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from appliance.audit import audit_artifact
from appliance.config import PEFT_METHODS, TrainSection
from appliance.errors import ApplianceError, BadInput
from appliance.events import EventSink, NullSink, StageProgress
from appliance.train.batching import TrainExample, encode_records, read_split
from appliance.train.checkpoint import CheckpointStore
from appliance.train.engine import StopFlag, TrainingInterrupted, evaluate_loss, fit, make_objective
from appliance.workspace import Artifact, Workspace, new_artifact_id, write_json_atomic

SFT_FORMATS = ("instruction", "chat", "classification", "summarization")
TASK_FORMATS = {"classification": ("classification",), "summarization": ("summarization",)}
PROBE_SIZE = 8
ACCURACY_RECORDS = 64


@dataclass(frozen=True)
class Source:
    dataset: Artifact
    fmt: str
    task: str
    weight: float


def checkpoint_root(ws: Workspace, run_id: str) -> Path:
    return ws.root / ".checkpoints" / run_id


def _sources(ws: Workspace, dataset: Artifact, cfg: TrainSection) -> list[Source]:
    from appliance.data import dataset_format

    if cfg.task == "multitask":
        out = []
        for entry in cfg.mixture:
            try:
                ds = ws.get("dataset", entry.dataset)
            except (FileNotFoundError, KeyError, ApplianceError):
                raise BadInput(f"train.mixture: dataset {entry.dataset!r} is not in the workspace") from None
            fmt = dataset_format(ws, ds)
            out.append(Source(ds, fmt, entry.task or fmt, entry.weight))
    else:
        fmt = dataset_format(ws, dataset)
        out = [Source(dataset, fmt, cfg.task if cfg.task != "chat" else fmt, 1.0)]
        allowed = TASK_FORMATS.get(cfg.task, SFT_FORMATS)
        if fmt not in allowed:
            raise BadInput(
                f"dataset {dataset.id} is in the {fmt!r} format; task {cfg.task!r} trains on "
                f"{' or '.join(allowed)} datasets (set train.task to match the data)"
            )
    for s in out:
        if s.fmt not in SFT_FORMATS:
            raise BadInput(
                f"dataset {s.dataset.id} is in the {s.fmt!r} format, which has no supervised answer to train on; "
                f"use an instruction, chat, classification or summarization dataset"
            )
    if cfg.head == "sequence" and any(s.fmt != "classification" for s in out):
        raise BadInput("head: sequence needs classification datasets")
    return out


def _label_names(sources: list[Source]) -> list[str] | None:
    labels = {str(r["label"]) for s in sources if s.fmt == "classification"
              for r in read_split(s.dataset.file("train.jsonl")) if r.get("label") is not None}  # fmt: skip
    return sorted(labels) or None


def _encode(tokenizer: Any, sources: list[Source], split: str, cfg: TrainSection, labels: list[str] | None):
    examples: list[TrainExample] = []
    stats: dict[str, Any] = {}
    for s in sources:
        exs, st = encode_records(tokenizer, read_split(s.dataset.file(f"{split}.jsonl")), s.fmt,
                                 cfg.hparams.seq_len, cfg.system_prompt, s.task, labels, cfg.head)  # fmt: skip
        examples += exs
        stats[s.dataset.id] = {"task": s.task, **st}
    return examples, stats


def config_record(sources: list[Source], base: Artifact, cfg: TrainSection, device: str) -> dict[str, Any]:
    return {"dataset": sources[0].dataset.id, "datasets": [s.dataset.id for s in sources], "base_model": base.id,
            "device": device, **cfg.model_dump(exclude={"hpo"})}  # fmt: skip


def resume_defaults(saved: dict[str, Any]) -> dict[str, Any]:
    """hparams that a run recorded before they existed was trained with, so that its resume continues the same
    way (its checkpoint holds that optimizer's state): no autocast, and bitsandbytes' paged AdamW for QLoRA
    on a GPU."""
    hp = saved.get("hparams", {})
    old: dict[str, Any] = {}
    if "precision" not in hp:
        old["precision"] = "fp32"
    if "optimizer" not in hp:
        old["optimizer"] = "paged-adamw" if saved.get("method") == "qlora" and saved.get("device") == "cuda" else "adamw"
    return old


def _compare_resume(saved: dict[str, Any], current: dict[str, Any], run_id: str) -> None:
    diff = sorted(k for k in set(saved) | set(current) if k != "device" and saved.get(k) != current.get(k))
    if diff:
        raise BadInput(
            f"run {run_id} was started with a different configuration ({', '.join(diff)} differ); resume it "
            "with the config it was started with, or start a new run"
        )


def worst_micro_batch_tokens(examples: list[TrainExample], cfg: TrainSection) -> int:
    """Token slots of the largest micro-batch these examples can form: the batch_size longest examples
    (packed), or batch_size copies of the longest (padded; a sequence head always pads)."""
    hp = cfg.hparams
    lengths = sorted(len(e.input_ids) for e in examples)[-hp.batch_size :]
    packed = hp.packing == "padding-free" and cfg.head != "sequence"
    return sum(lengths) if packed else len(lengths) * lengths[-1]


def build_model(base_dir: Path, cfg: TrainSection, device: str, n_labels: int | None) -> tuple[Any, Any, Any]:
    """(model, head or None, objective) for the method, trainable parameters marked."""
    from appliance.train.modeling import load_base, make_head, set_trainable

    model = set_trainable(load_base(base_dir, cfg.method, device, cfg.hparams.gradient_checkpointing), cfg)
    head = make_head(model, n_labels or 2, device) if cfg.head == "sequence" else None
    objective = make_objective(model, head, frozen_body=cfg.method == "feature-extraction")
    return model, head, objective


def _classification_accuracy(objective: Any, model: Any, tokenizer: Any, examples: list[TrainExample],
                             sources: list[Source], cfg: TrainSection, labels: list[str], device: str) -> dict:
    """Accuracy / macro precision, recall, F1 on validation classification records."""
    import torch

    from appliance.data import to_messages
    from appliance.evaluate.metrics import classification_metrics

    preds, refs = [], []
    objective.eval()
    if cfg.head == "sequence":
        from appliance.train.batching import collate_cls

        exs = [e for e in examples if e.class_index is not None][:ACCURACY_RECORDS]
        pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
        with torch.no_grad():
            for i in range(0, len(exs), cfg.hparams.batch_size):
                b = collate_cls(exs[i : i + cfg.hparams.batch_size], pad)
                logits = objective.logits(b["input_ids"].to(device), b["attention_mask"].to(device))
                preds += [labels[k] for k in logits.argmax(-1).tolist()]
                refs += [labels[e.class_index] for e in exs[i : i + cfg.hparams.batch_size]]
    else:
        from appliance.evaluate.generation import continuation_logprobs

        recs = [r for s in sources if s.fmt == "classification"
                for r in read_split(s.dataset.file("validation.jsonl"))][:ACCURACY_RECORDS]  # fmt: skip
        for r in recs:
            msgs, target = to_messages(r, "classification", cfg.system_prompt, labels)
            prompt = tokenizer.apply_chat_template(msgs, tokenize=False, add_generation_prompt=True)
            scores = continuation_logprobs(model, tokenizer, prompt, labels, device)
            preds.append(labels[max(range(len(labels)), key=lambda k: scores[k])])
            refs.append(str(target))
    if not refs:
        return {}
    return classification_metrics(refs, preds)


def train(
    ws: Workspace,
    dataset: Artifact,
    base: Artifact,
    cfg: TrainSection,
    sink: EventSink | None = None,
    *,
    resume: str | None = None,
    stop: StopFlag | None = None,
    on_eval: Callable[[int, float], bool] | None = None,
) -> Artifact:
    """Fine-tune `base` on `dataset` (or `cfg.mixture`) and return the run artifact (None on ranks > 0)."""
    import torch
    from accelerate import PartialState
    from transformers import AutoTokenizer

    from appliance.train.memory import check as check_memory
    from appliance.train.modeling import pick_device

    sink = sink or NullSink()
    saved = checkpoint_root(ws, resume) / "run.json" if resume else None
    if saved is not None and saved.is_file():
        old = resume_defaults(json.loads(saved.read_text("utf-8")))
        if old:  # a run started before these hparams existed continues as it was trained
            cfg = cfg.model_copy(update={"hparams": cfg.hparams.model_copy(update=old)})
    hp = cfg.hparams
    sources = _sources(ws, dataset, cfg)
    device = pick_device()
    state = PartialState(cpu=device == "cpu")
    rank, world = state.process_index, state.num_processes
    if device == "cuda" and world > 1:
        torch.cuda.set_device(state.local_process_index)  # "cuda" below means this process's GPU
    tokenizer = AutoTokenizer.from_pretrained(str(base.path))
    pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
    labels = _label_names(sources) if any(s.fmt == "classification" for s in sources) else None
    if cfg.head == "sequence" and (not labels or len(labels) < 2):
        raise BadInput(f"dataset {dataset.id}: a classification head needs at least two labels in the train split")
    examples, enc_stats = _encode(tokenizer, sources, "train", cfg, labels)
    if not examples:
        raise ApplianceError(f"dataset {dataset.id} has no usable training records (all empty after truncation)")
    # Refuses, with what to change, before the model loads; planned for this data's largest micro-batch.
    memory = check_memory(base.path, cfg, device, worst_micro_batch_tokens(examples, cfg))
    val_examples, _ = _encode(tokenizer, sources, "validation", cfg, labels)
    record = config_record(sources, base, cfg, device)
    record["processes"] = world  # the global batch (and so the data position) depends on it
    if labels:
        record["labels"] = labels

    run_id = resume or new_artifact_id("run")
    ckdir = checkpoint_root(ws, run_id)
    if resume:
        if (ws.kind_dir("run") / resume).exists():
            raise BadInput(f"run {resume} already completed; there is nothing to resume")
        if not (ckdir / "run.json").is_file():
            waiting = sorted(p.name for p in ckdir.parent.glob("run-*") if (p / "run.json").is_file())
            raise BadInput(f"no interrupted run {resume!r} to resume; interrupted runs: {', '.join(waiting) or 'none'}")
        started = json.loads((ckdir / "run.json").read_text("utf-8"))
        started.setdefault("hparams", {}).update(resume_defaults(started))
        _compare_resume(started, record, resume)
    elif rank == 0:
        ckdir.mkdir(parents=True, exist_ok=True)
        write_json_atomic(ckdir / "run.json", record)
    state.wait_for_everyone()
    store = CheckpointStore(ckdir, hp.keep_checkpoints)
    weights = {s.task: s.weight for s in sources} if cfg.task == "multitask" else None

    torch.manual_seed(hp.seed)
    inputs = [s.dataset.ref() for s in sources] + [base.ref()]
    t0 = time.monotonic()
    if rank != 0:
        with _scratch(ws, run_id, rank) as scratch:
            _fit_and_save(scratch, cfg, base, device, labels, examples, val_examples, pad_id, sink, store,
                          resume, stop, weights, on_eval, tokenizer, sources, record)  # fmt: skip
        return None  # type: ignore[return-value]
    with ws.new_artifact("run", inputs=inputs, config=record, art_id=run_id) as b:
        try:
            summary = _fit_and_save(b.path, cfg, base, device, labels, examples, val_examples, pad_id, sink,
                                    store, resume, stop, weights, on_eval, tokenizer, sources, record)  # fmt: skip
        except TrainingInterrupted as e:
            raise TrainingInterrupted(f"run {run_id}: {e}. Resume with `appliance train --config FILE --resume "
                                      f"{run_id}`") from None  # fmt: skip
        summary.update({"encoding": enc_stats, "memory_plan": memory.as_dict() if memory else None, "processes": world,
                        "seconds": round(time.monotonic() - t0, 2)})  # fmt: skip
        b.summary = summary
    run = ws.get("run", b.id)
    outputs = {n: run.manifest["files"][n]["sha256"] for n in run.manifest["files"]
               if n.startswith(("adapter/", "weights/", "head/")) and n.endswith((".safetensors", ".json"))}  # fmt: skip
    audit_artifact(
        ws,
        "train.complete",
        run,
        {k: summary.get(k) for k in ("method", "task", "device", "steps", "train_examples", "train_loss_before",
                                     "train_loss_after", "val_loss", "resumed_from", "processes")},  # fmt: skip
        extra={**{s.dataset.id: s.dataset.manifest_sha256 for s in sources}, base.id: base.manifest_sha256,
               **{f"{run.id}/{n}": h for n, h in outputs.items()},
               f"{run.id}/config.json": run.manifest["files"]["config.json"]["sha256"]},  # fmt: skip
    )
    shutil.rmtree(ckdir, ignore_errors=True)  # only once the run is recorded (a failed record removes the run)
    return run


@contextmanager
def _scratch(ws: Workspace, run_id: str, rank: int):  # noqa: ANN202
    """Where a process other than 0 puts the outputs it computes but does not keep (claimed: see
    `Workspace.staging_dir`; this process does not hold the workspace lock)."""
    with ws.scratch(f"{run_id}-rank{rank}") as path:
        yield path


def _fit_and_save(out: Path, cfg: TrainSection, base: Artifact, device: str, labels: list[str] | None,
                  examples: list[TrainExample], val_examples: list[TrainExample], pad_id: int, sink: EventSink,
                  store: CheckpointStore | None, resume: str | None, stop: StopFlag | None,
                  weights: dict[str, float] | None, on_eval: Callable[[int, float], bool] | None, tokenizer: Any,
                  sources: list[Source], record: dict[str, Any]) -> dict[str, Any]:  # fmt: skip
    from safetensors.torch import save_file

    hp = cfg.hparams
    kind = "cls" if cfg.head == "sequence" else "lm"
    with StageProgress(sink, "train", None, f"{cfg.method} on {device}") as prog:
        prog.info("loading base model", method=cfg.method)
        model, head, objective = build_model(base.path, cfg, device, len(labels) if labels else None)
        n_trainable = sum(p.numel() for p in objective.parameters() if p.requires_grad)
        n_total = sum(p.numel() for p in objective.parameters())
        probe = examples[:PROBE_SIZE]
        loss_before = evaluate_loss(objective, probe, kind, pad_id, hp, device)["all"]
        if hp.optimizer == "paged-adamw" and device != "cuda":
            prog.warn("hparams.optimizer paged-adamw needs a CUDA GPU; training with AdamW")
        result = fit(objective, examples, hp, kind=kind, pad_id=pad_id, device=device, progress=prog,
                     val_examples=val_examples, store=store, resume=bool(resume), stop=stop,
                     task_weights=weights, on_eval=on_eval,
                     paged_optimizer=hp.optimizer == "paged-adamw")  # fmt: skip
        loss_after = evaluate_loss(objective, probe, kind, pad_id, hp, device)["all"]
        with open(out / "metrics.jsonl", "w", encoding="utf-8") as mf:
            for rec in result.history:
                mf.write(json.dumps(rec) + "\n")
            for ev in result.evals:
                mf.write(json.dumps({"eval": True, **ev}) + "\n")
        if cfg.method in PEFT_METHODS:
            model.save_pretrained(str(out / "adapter"))
        elif cfg.method in ("full", "freeze"):
            (out / "weights").mkdir()
            trained = {n: p.detach().contiguous().cpu() for n, p in model.named_parameters() if p.requires_grad}
            save_file(trained, str(out / "weights" / "trained.safetensors"))
        if head is not None:
            (out / "head").mkdir()
            save_file({k: v.detach().cpu() for k, v in head.state_dict().items()}, str(out / "head" / "head.safetensors"))
            write_json_atomic(out / "head" / "labels.json", {"labels": labels, "pooling": "mean"})
        (out / "config.json").write_text(json.dumps(record, indent=2, sort_keys=True) + "\n")
        last_eval = result.evals[-1] if result.evals else {}
        summary: dict[str, Any] = {
            "method": cfg.method,
            "task": cfg.task,
            "head": cfg.head,
            "device": device,
            "steps": result.step,
            "epochs_completed": result.epoch,
            "train_examples": len(examples),
            "trainable_parameters": n_trainable,
            "total_parameters": n_total,
            "train_loss_before": round(loss_before, 5),
            "train_loss_after": round(loss_after, 5),
            # Early stopping keeps the best weights, so their loss is the run's validation loss.
            "val_loss": round(result.best_val_loss, 5) if result.restored_best else last_eval.get("val_loss"),
            "best_val_loss": None if result.best_val_loss is None else round(result.best_val_loss, 5),
            "val_loss_by_task": {k[len("val_loss."):]: v for k, v in last_eval.items() if k.startswith("val_loss.")},
            "tokens": result.tokens,
            "tokens_per_s": round(result.tokens / max(result.seconds, 1e-9), 1),
            "train_seconds": round(result.seconds, 2),
            "peak_memory_mb": round(result.peak_memory_mb, 1),
            "packing": hp.packing,
            "resumed_from": result.resumed_from,
            "stopped_early": result.stopped_early,
            "pruned": result.pruned,
            "micro_batch_split": result.micro_split,
        }
        if labels and val_examples:
            summary["classification"] = _classification_accuracy(objective, model, tokenizer, val_examples, sources,
                                                                   cfg, labels, device)  # fmt: skip
        prog.end(f"{cfg.method} on {device}", loss_before=loss_before, loss_after=loss_after)
    return summary


# ---- loading a finished run (evaluate, export)


def load_run_model(ws: Workspace, run: Artifact) -> tuple[Any, Any, Artifact, str]:
    """(model as it was trained, tokenizer, base model artifact, device)."""
    from transformers import AutoTokenizer

    from appliance.train.modeling import load_with_adapter, load_with_weights, pick_device

    cfg = run.manifest["config"]
    base = ws.get("model", cfg["base_model"])
    device = pick_device()
    method = cfg["method"]
    if cfg.get("head") == "sequence":
        raise BadInput(f"run {run.id} trained a classification head ({method}); its accuracy, precision, recall "
                       "and F1 are in the run summary (`appliance runs list`); it has no language model to load")  # fmt: skip
    if method in PEFT_METHODS:
        model = load_with_adapter(base.path, run.path / "adapter", method, device)
    elif method in ("full", "freeze"):
        model = load_with_weights(base.path, run.path / "weights" / "trained.safetensors", method, device)
    else:
        raise BadInput(f"run {run.id} ({method}) has no language model to load")
    tokenizer = AutoTokenizer.from_pretrained(str(base.path))
    return model, tokenizer, base, device


@contextmanager
def base_weights(model: Any, run: Artifact, base_dir: Path):  # noqa: ANN201
    """The run's model with the base model's behaviour inside the block (adapter off, or trained tensors
    swapped back to the base's), restored after."""
    if hasattr(model, "disable_adapter"):
        with model.disable_adapter():
            yield model
        return
    import torch
    from safetensors import safe_open

    trained_file = run.path / "weights" / "trained.safetensors"
    own = dict(model.named_parameters())
    with safe_open(str(trained_file), "pt") as f:
        names = list(f.keys())
    saved = {n: own[n].detach().clone() for n in names}
    base_state = _base_tensors(base_dir, names)
    with torch.no_grad():
        for n in names:
            own[n].copy_(base_state[n])
    try:
        yield model
    finally:
        with torch.no_grad():
            for n in names:
                own[n].copy_(saved[n])


def _base_tensors(base_dir: Path, names: list[str]) -> dict[str, Any]:
    from safetensors import safe_open

    out: dict[str, Any] = {}
    aliases = {"lm_head.weight": "model.embed_tokens.weight", "model.embed_tokens.weight": "lm_head.weight"}
    for f in sorted(base_dir.glob("*.safetensors")):
        with safe_open(str(f), "pt") as st:
            keys = set(st.keys())
            for n in names:
                key = n if n in keys else aliases.get(n) if aliases.get(n) in keys else None
                if key is not None and n not in out:
                    out[n] = st.get_tensor(key).float()
    missing = [n for n in names if n not in out]
    if missing:
        raise ApplianceError(f"base model {base_dir} lacks tensors {missing[:3]} that the run trained")
    return out


def dequantized_nf4_weights(base_dir: Path) -> dict[str, Any]:
    """The base's linear weights exactly as the QLoRA run saw them: NF4 (double-quantised) and back to fp32."""
    import bitsandbytes as bnb

    from appliance.train.modeling import load_base

    q = load_base(base_dir, "qlora", "cpu")
    out = {f"{name}.weight": bnb.functional.dequantize_4bit(m.weight.data, m.weight.quant_state).float()
           for name, m in q.named_modules() if isinstance(m, bnb.nn.Linear4bit)}  # fmt: skip
    del q
    return out


def merged_model(ws: Workspace, run: Artifact) -> Any:
    """The run's weights as one full-precision causal LM (adapter merged, or trained tensors laid over).

    A QLoRA adapter is merged into the NF4-dequantized base, the weights it was trained and evaluated
    with, so the exported model is the model that passed the gates (merging into the original full-precision
    weights instead moves the logits by the quantisation error the adapter learned around)."""
    import torch
    from peft import PeftModel
    from transformers import AutoModelForCausalLM

    cfg = run.manifest["config"]
    if cfg.get("head") == "sequence":
        raise BadInput(f"run {run.id} trained a classification head; ONNX export covers language models")
    base = ws.get("model", cfg["base_model"])
    model = AutoModelForCausalLM.from_pretrained(str(base.path), dtype=torch.float32)
    if cfg["method"] == "qlora":
        model.load_state_dict(dequantized_nf4_weights(base.path), strict=False)
    if cfg["method"] in PEFT_METHODS:
        model = PeftModel.from_pretrained(model, str(run.path / "adapter")).merge_and_unload()
    else:  # full, freeze
        from safetensors.torch import load_file

        model.load_state_dict(load_file(str(run.path / "weights" / "trained.safetensors")), strict=False)
    model.config.use_cache = True
    return model.eval()
