"""Fine-tuning: `train()` turns scrubbed dataset(s) and a workspace base model into a run artifact.

Methods (config `train.method`): qlora (bitsandbytes NF4 base + LoRA), lora, full, freeze (last N blocks),
feature-extraction (frozen base + classification head). Modules: modeling (load + what trains), batching
(encoding, epoch order, padding-free packing), engine (the loop, checkpoints, interruption, accelerate),
checkpoint, memory (planner), hpo (search), run (workspace orchestration). The helpers below score
encoded examples for evaluation and export.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from appliance.data import IGNORE_INDEX, EncodedExample, encode_chat_example, read_instruction_view


def encode_split(
    tokenizer: Any, path: Path, seq_len: int, system_prompt: str | None, labels: list[str] | None = None
) -> tuple[list, dict]:
    """Prompt/response examples of a split in any supervised format (for scoring in evaluate/export)."""
    examples, dropped, truncated = [], 0, 0
    for rec in read_instruction_view(path, labels):
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


from appliance.train.engine import StopFlag, TrainingInterrupted  # noqa: E402
from appliance.train.run import base_weights, load_run_model, merged_model, train  # noqa: E402

__all__ = [
    "StopFlag",
    "TrainingInterrupted",
    "base_weights",
    "collate",
    "encode_split",
    "example_losses",
    "load_run_model",
    "mean_loss",
    "merged_model",
    "pooled_loss",
    "train",
]
