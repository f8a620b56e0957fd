"""Fine-tuning (foundation: QLoRA/LoRA supervised fine-tuning on chat-formatted instruction records).

`train()` reads a scrubbed dataset and a workspace model, trains a LoRA adapter on a 4-bit NF4 base
(bitsandbytes + peft; runs on CPU too), and writes a run artifact: adapter/, config.json, metrics.jsonl.
The training-engine issue adds methods, packing, checkpoints/resume and HPO behind the same entry point.
"""

from __future__ import annotations

import json
import math
import random
import time
from pathlib import Path
from typing import Any

from appliance.audit import audit_artifact
from appliance.config import TrainSection
from appliance.data import IGNORE_INDEX, EncodedExample, encode_chat_example, read_canonical
from appliance.errors import ApplianceError, BadInput
from appliance.events import EventSink, NullSink, StageProgress
from appliance.train.modeling import add_lora, load_base, load_with_adapter, pick_device
from appliance.workspace import Artifact, Workspace

PROBE_SIZE = 8


def encode_split(tokenizer: Any, path: Path, seq_len: int, system_prompt: str | None) -> tuple[list, dict]:
    examples, dropped, truncated = [], 0, 0
    for rec in read_canonical(path):
        ex = encode_chat_example(tokenizer, rec, seq_len, system_prompt)
        if ex is None:
            dropped += 1
            continue
        truncated += ex.truncated
        examples.append(ex)
    return examples, {"examples": len(examples), "dropped_no_response": dropped, "truncated": truncated}


def collate(batch: list[EncodedExample], pad_id: int) -> dict[str, Any]:
    """Right-pad to the longest example in the batch (not to seq_len)."""
    import torch

    width = max(len(e.input_ids) for e in batch)
    ids = torch.full((len(batch), width), pad_id, dtype=torch.long)
    labels = torch.full((len(batch), width), IGNORE_INDEX, dtype=torch.long)
    mask = torch.zeros((len(batch), width), dtype=torch.long)
    for i, e in enumerate(batch):
        n = len(e.input_ids)
        ids[i, :n] = torch.tensor(e.input_ids)
        labels[i, :n] = torch.tensor(e.labels)
        mask[i, :n] = 1
    return {"input_ids": ids, "attention_mask": mask, "labels": labels}


def example_losses(
    model: Any, examples: list[EncodedExample], pad_id: int, batch_size: int, device: str
) -> list[tuple[float, int]]:
    """(summed cross-entropy over response tokens, number of those tokens) for each example."""
    import torch

    out: list[tuple[float, int]] = []
    model.eval()
    with torch.no_grad():
        for i in range(0, len(examples), batch_size):
            batch = {k: v.to(device) for k, v in collate(examples[i : i + batch_size], pad_id).items()}
            logits = model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]).logits
            shift_logits = logits[:, :-1, :].float()
            shift_labels = batch["labels"][:, 1:]
            loss = torch.nn.functional.cross_entropy(
                shift_logits.transpose(1, 2), shift_labels, ignore_index=IGNORE_INDEX, reduction="none"
            )
            counts = (shift_labels != IGNORE_INDEX).sum(-1)
            out.extend((float(loss[j].sum()), int(counts[j])) for j in range(loss.shape[0]))
    return out


def pooled_loss(parts: list[tuple[float, int]]) -> float:
    """Token-weighted mean of `example_losses` parts."""
    return sum(p[0] for p in parts) / max(sum(p[1] for p in parts), 1)


def mean_loss(model: Any, examples: list[EncodedExample], pad_id: int, batch_size: int, device: str) -> float:
    """Token-weighted mean cross-entropy over the response tokens of `examples`."""
    return pooled_loss(example_losses(model, examples, pad_id, batch_size, device))


def _batches(n: int, batch_size: int, rng: random.Random) -> list[list[int]]:
    order = list(range(n))
    rng.shuffle(order)
    return [order[i : i + batch_size] for i in range(0, n, batch_size)]


def trainable_state(model: Any) -> dict[str, Any]:
    return {n: p.detach().clone() for n, p in model.named_parameters() if p.requires_grad}


def train(
    ws: Workspace, dataset: Artifact, base: Artifact, cfg: TrainSection, sink: EventSink | None = None
) -> Artifact:
    """Fine-tune `base` on `dataset` (train split) and return the run artifact."""
    import torch
    from transformers import AutoTokenizer, get_linear_schedule_with_warmup

    from appliance.data import dataset_format

    sink = sink or NullSink()
    fmt = dataset_format(ws, dataset)
    if fmt != "instruction":
        raise BadInput(
            f"dataset {dataset.id} is in the {fmt!r} format; this trainer supports 'instruction' datasets so far"
        )
    hp = cfg.hparams
    random.seed(hp.seed)
    torch.manual_seed(hp.seed)
    device = pick_device()
    tokenizer = AutoTokenizer.from_pretrained(str(base.path))
    pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
    examples, enc_stats = encode_split(tokenizer, dataset.file("train.jsonl"), hp.seq_len, cfg.system_prompt)
    if not examples:
        raise ApplianceError(
            f"dataset {dataset.id} has no usable training records (all empty after truncation)"
        )

    steps_per_epoch = math.ceil(len(examples) / (hp.batch_size * hp.grad_accum))
    total_steps = hp.max_steps or steps_per_epoch * hp.epochs
    config_record = {"dataset": dataset.id, "base_model": base.id, "device": device, **cfg.model_dump()}
    inputs = [dataset.ref(), base.ref()]
    with ws.new_artifact("run", inputs=inputs, config=config_record) as b:
        with StageProgress(sink, "train", total_steps, f"{cfg.method} on {device}") as prog:
            prog.info("loading base model", method=cfg.method)
            model = add_lora(load_base(base.path, cfg.method, device), cfg)
            n_trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
            n_total = sum(p.numel() for p in model.parameters())
            probe = examples[:PROBE_SIZE]
            loss_before = mean_loss(model, probe, pad_id, hp.batch_size, device)

            params = [p for p in model.parameters() if p.requires_grad]
            opt = torch.optim.AdamW(params, lr=hp.lr, weight_decay=hp.weight_decay)
            sched = get_linear_schedule_with_warmup(opt, int(total_steps * hp.warmup_ratio), total_steps)
            rng = random.Random(hp.seed)
            metrics_path = b.path / "metrics.jsonl"
            step, tokens, t0 = 0, 0, time.monotonic()
            with open(metrics_path, "w", encoding="utf-8") as mf:
                while step < total_steps:
                    order = _batches(len(examples), hp.batch_size, rng)
                    for i in range(0, len(order), hp.grad_accum):
                        if step >= total_steps:
                            break
                        model.train()
                        loss_sum = 0.0
                        for idx in order[i : i + hp.grad_accum]:
                            batch = {
                                k: v.to(device)
                                for k, v in collate([examples[j] for j in idx], pad_id).items()
                            }
                            out = model(**batch)
                            (out.loss / hp.grad_accum).backward()
                            loss_sum += out.loss.item() / hp.grad_accum
                            tokens += int(batch["attention_mask"].sum())
                        torch.nn.utils.clip_grad_norm_(params, hp.max_grad_norm)
                        opt.step()
                        sched.step()
                        opt.zero_grad(set_to_none=True)
                        step += 1
                        rec = {
                            "step": step,
                            "loss": round(loss_sum, 5),
                            "lr": sched.get_last_lr()[0],
                            "tokens_per_s": round(tokens / (time.monotonic() - t0), 1),
                        }
                        mf.write(json.dumps(rec) + "\n")
                        prog.advance(loss=rec["loss"], tok_s=rec["tokens_per_s"])
            loss_after = mean_loss(model, probe, pad_id, hp.batch_size, device)
            model.save_pretrained(str(b.path / "adapter"))
            summary = {
                "method": cfg.method,
                "device": device,
                "steps": step,
                "train_examples": len(examples),
                "encoding": enc_stats,
                "trainable_parameters": n_trainable,
                "total_parameters": n_total,
                "train_loss_before": round(loss_before, 5),
                "train_loss_after": round(loss_after, 5),
                "tokens_per_s": round(tokens / max(time.monotonic() - t0, 1e-9), 1),
                "seconds": round(time.monotonic() - t0, 2),
            }
            (b.path / "config.json").write_text(json.dumps(config_record, indent=2, sort_keys=True) + "\n")
            b.summary = summary
            prog.end(f"{cfg.method} on {device}", loss_before=loss_before, loss_after=loss_after)
    run = ws.get("run", b.id)
    audit_artifact(
        ws,
        "train.complete",
        run,
        {
            k: summary[k]
            for k in ("method", "device", "steps", "train_examples", "train_loss_before", "train_loss_after")
        },
        extra={
            dataset.id: dataset.manifest_sha256,
            base.id: base.manifest_sha256,
            **{
                f"{run.id}/{name}": run.manifest["files"][name]["sha256"]
                for name in ("adapter/adapter_model.safetensors", "config.json")
            },
        },
    )
    return run


def load_run_model(ws: Workspace, run: Artifact) -> tuple[Any, Any, Artifact, str]:
    """(model with adapter, tokenizer, base model artifact, device) for a run, as it was trained."""
    from transformers import AutoTokenizer

    base = ws.get("model", run.manifest["config"]["base_model"])
    device = pick_device()
    model = load_with_adapter(base.path, run.path / "adapter", run.manifest["config"]["method"], device)
    tokenizer = AutoTokenizer.from_pretrained(str(base.path))
    return model, tokenizer, base, device


__all__ = [
    "collate",
    "encode_split",
    "example_losses",
    "load_run_model",
    "mean_loss",
    "pooled_loss",
    "train",
    "trainable_state",
]
