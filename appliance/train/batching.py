"""Examples, the order they are seen in, and how a micro-batch becomes tensors.

The order is a pure function of (seed, epoch), so a resumed run sees exactly the batches an uninterrupted
one would. Padding-free micro-batches pack their examples into shared rows (first-fit decreasing) with a
block-diagonal causal mask and per-example positions: no pad compute and no attention across examples.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from appliance.data import IGNORE_INDEX, encode_record, read_canonical, to_messages


@dataclass(frozen=True)
class TrainExample:
    id: str
    input_ids: list[int]
    labels: list[int]  # per token, IGNORE_INDEX where there is no loss (prompt); empty for a class target
    task: str = "default"
    class_index: int | None = None  # sequence-classification target
    truncated: bool = False

    @property
    def target_tokens(self) -> int:
        return 1 if self.class_index is not None else sum(1 for t in self.labels if t != IGNORE_INDEX)


def encode_records(
    tokenizer: Any,
    records: list[dict[str, Any]],
    fmt: str,
    seq_len: int,
    system_prompt: str | None,
    task: str = "default",
    label_names: list[str] | None = None,
    head: str = "lm",
) -> tuple[list[TrainExample], dict[str, int]]:
    """Token ids with the model's chat template; only the answer carries loss. Records whose answer is
    cut off entirely by seq_len are dropped and counted."""
    out: list[TrainExample] = []
    dropped = truncated = 0
    for rec in records:
        if head == "sequence":
            msgs, target = to_messages(rec, fmt, system_prompt, label_names)
            text = tokenizer.apply_chat_template(msgs, tokenize=False, add_generation_prompt=True)
            ids = tokenizer(text, add_special_tokens=False)["input_ids"]
            if target not in (label_names or []):
                dropped += 1
                continue
            truncated += len(ids) > seq_len
            out.append(TrainExample(str(rec["id"]), ids[:seq_len], [], task, label_names.index(target),
                                    len(ids) > seq_len))  # fmt: skip
            continue
        ex = encode_record(tokenizer, rec, fmt, seq_len, system_prompt, label_names)
        if ex is None:
            dropped += 1
            continue
        truncated += ex.truncated
        out.append(TrainExample(ex.id, ex.input_ids, ex.labels, task, None, ex.truncated))
    return out, {"examples": len(out), "dropped_no_response": dropped, "truncated": truncated}


def read_split(path: Path) -> list[dict[str, Any]]:
    return read_canonical(path) if path.is_file() else []


# ---- order


def epoch_order(
    examples: list[TrainExample], seed: int, epoch: int, packing: str, group: int, weights: dict[str, float] | None
) -> list[int]:
    """Indices of the examples for one epoch.

    Multi-task mixtures draw each task's share of the epoch (weight / total weight of all examples) by
    cycling a per-task permutation, so a small task is up-sampled and a large one down-sampled.
    length-grouped sorts each chunk of `group * 16` by length and shuffles the resulting groups.
    """
    rng = random.Random(seed * 100_003 + epoch)
    if weights:
        by_task: dict[str, list[int]] = {}
        for i, e in enumerate(examples):
            by_task.setdefault(e.task, []).append(i)
        total_w = sum(weights.get(t, 1.0) for t in by_task)
        order: list[int] = []
        for t in sorted(by_task):
            idx = by_task[t][:]
            rng.shuffle(idx)
            share = round(len(examples) * weights.get(t, 1.0) / total_w)
            order += [idx[k % len(idx)] for k in range(max(share, 1))]
        rng.shuffle(order)
    else:
        order = list(range(len(examples)))
        rng.shuffle(order)
    if packing == "length-grouped":
        mega = max(group * 16, group)
        grouped: list[list[int]] = []
        for i in range(0, len(order), mega):
            chunk = sorted(order[i : i + mega], key=lambda j: -len(examples[j].input_ids))
            grouped += [chunk[k : k + group] for k in range(0, len(chunk), group)]
        rng.shuffle(grouped)
        order = [j for g in grouped for j in g]
    return order


def global_batches(order: list[int], global_size: int) -> list[list[int]]:
    return [order[i : i + global_size] for i in range(0, len(order), global_size)]


def micro_slices(global_batch: list[int], micro: int, world: int, rank: int) -> list[list[int]]:
    """This rank's micro-batches of one global batch: micro-batch m of rank r is slot m * world + r."""
    slots = [global_batch[i : i + micro] for i in range(0, len(global_batch), micro)]
    return [s for k, s in enumerate(slots) if k % world == rank]


# ---- tensors


def shifted_targets(e: TrainExample) -> list[int]:
    """target[t] is the token position t must predict (labels shifted left), IGNORE_INDEX at the end."""
    return [*e.labels[1:], IGNORE_INDEX]


def pack_rows(batch: list[TrainExample], capacity: int) -> list[list[TrainExample]]:
    """First-fit decreasing bin packing of examples into rows of at most `capacity` tokens."""
    rows: list[tuple[int, list[TrainExample]]] = []
    for e in sorted(batch, key=lambda x: -len(x.input_ids)):
        n = len(e.input_ids)
        for k, (used, members) in enumerate(rows):
            if used + n <= capacity:
                rows[k] = (used + n, [*members, e])
                break
        else:
            rows.append((n, [e]))
    return [members for _, members in rows]


def collate_lm(
    batch: list[TrainExample], pad_id: int, packing: str, seq_len: int, pad_multiple: int = 1
) -> dict[str, Any]:
    """input_ids, attention_mask (2-D, or 4-D block-diagonal when packed), position_ids, target.

    `pad_multiple`: the row width is rounded up to a multiple of it (masked, no loss). On a GPU this keeps the
    number of distinct shapes small: kernels that plan per shape (cuDNN attention) then plan once per width.
    """
    import torch

    rows = pack_rows(batch, max(seq_len, *(len(e.input_ids) for e in batch))) if packing == "padding-free" else [
        [e] for e in batch
    ]  # fmt: skip
    width = max(sum(len(e.input_ids) for e in row) for row in rows)
    width = -(-width // pad_multiple) * pad_multiple
    n = len(rows)
    ids = torch.full((n, width), pad_id, dtype=torch.long)
    target = torch.full((n, width), IGNORE_INDEX, dtype=torch.long)
    pos = torch.zeros((n, width), dtype=torch.long)
    seg = torch.full((n, width), -1, dtype=torch.long)
    for r, row in enumerate(rows):
        at = 0
        for k, e in enumerate(row):
            m = len(e.input_ids)
            ids[r, at : at + m] = torch.tensor(e.input_ids)
            target[r, at : at + m] = torch.tensor(shifted_targets(e))
            pos[r, at : at + m] = torch.arange(m)
            seg[r, at : at + m] = k
            at += m
    if packing == "padding-free":
        causal = torch.ones((width, width), dtype=torch.bool).tril()
        same = (seg[:, :, None] == seg[:, None, :]) & (seg[:, :, None] >= 0)
        mask = (same & causal)[:, None]
        # Pad query rows attend to themselves only, so attention never sees an all-masked row (NaN).
        eye = torch.eye(width, dtype=torch.bool)[None, None]
        mask = mask | (eye & (seg < 0)[:, None, :, None])
    else:
        mask = (seg >= 0).long()
    return {"input_ids": ids, "attention_mask": mask, "position_ids": pos, "target": target}


def collate_cls(batch: list[TrainExample], pad_id: int) -> dict[str, Any]:
    import torch

    width = max(len(e.input_ids) for e in batch)
    ids = torch.full((len(batch), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(batch), width), dtype=torch.long)
    for i, e in enumerate(batch):
        ids[i, : len(e.input_ids)] = torch.tensor(e.input_ids)
        mask[i, : len(e.input_ids)] = 1
    classes = torch.tensor([e.class_index for e in batch], dtype=torch.long)
    return {"input_ids": ids, "attention_mask": mask, "classes": classes}


def real_tokens(batch: list[TrainExample]) -> int:
    return sum(len(e.input_ids) for e in batch)
