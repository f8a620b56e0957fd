"""Few-shot baseline: k worked examples from the TRAINING split in the prompt, never an evaluation example.

`select_shots` draws k training records (seeded) and refuses any record that shares an id, a prompt or a
response with an evaluation record, so the base model is never shown the answer it is scored on (a
near-duplicate dedupe across splits is the data stage's job; this is the last line of defence).
The shots are earlier user/assistant turns of the same chat, rendered with the model's own template.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Any

from appliance.data import IGNORE_INDEX, EncodedExample


def _norm(text: str) -> str:
    return " ".join(str(text).split()).lower()


def select_shots(
    train_records: Sequence[dict[str, Any]], eval_records: Sequence[dict[str, Any]], k: int, seed: int = 7
) -> list[dict[str, Any]]:
    """k training records disjoint from `eval_records` by id, prompt and response text (fewer if too few)."""
    if k <= 0:
        return []
    ids = {r.get("id") for r in eval_records}
    texts = {_norm(r[f]) for r in eval_records for f in ("prompt", "response") if r.get(f)}
    pool = [
        r
        for r in train_records
        if r.get("id") not in ids and _norm(r.get("prompt", "")) not in texts
        and _norm(r.get("response", "")) not in texts
    ]  # fmt: skip
    rng = random.Random(seed)
    return rng.sample(pool, min(k, len(pool)))


def few_shot_messages(
    rec: dict[str, Any], shots: Sequence[dict[str, Any]], system_prompt: str | None
) -> list[dict[str, str]]:
    """[system?] + (user, assistant) per shot + the record's user turn."""
    msgs: list[dict[str, str]] = []
    system = rec.get("system") or system_prompt
    if system:
        msgs.append({"role": "system", "content": system})
    for s in shots:
        msgs += [{"role": "user", "content": s["prompt"]}, {"role": "assistant", "content": s["response"]}]
    msgs.append({"role": "user", "content": rec["prompt"]})
    return msgs


def render_messages(tokenizer: Any, msgs: list[dict[str, str]]) -> str:
    return tokenizer.apply_chat_template(msgs, tokenize=False, add_generation_prompt=True)


def encode_prompt_target(
    tokenizer: Any, msgs: list[dict[str, str]], target: str, seq_len: int, rec_id: str = ""
) -> EncodedExample | None:
    """Ids/labels of `msgs` + the assistant `target`; only target tokens carry loss. Over `seq_len`, the
    PROMPT is cut from the left (the shots go first), so the scored target is never truncated away."""
    prompt_text = render_messages(tokenizer, msgs)
    full_text = tokenizer.apply_chat_template(
        [*msgs, {"role": "assistant", "content": target}], tokenize=False
    )
    prompt_ids = tokenizer(prompt_text, add_special_tokens=False)["input_ids"]
    full_ids = tokenizer(full_text, add_special_tokens=False)["input_ids"]
    if full_ids[: len(prompt_ids)] != prompt_ids:
        prompt_ids = full_ids[: min(len(prompt_ids), len(full_ids))]
    target_ids = full_ids[len(prompt_ids) :]
    if not target_ids:
        return None
    truncated = len(full_ids) > seq_len
    if truncated:
        target_ids = target_ids[: seq_len // 2] if len(target_ids) > seq_len // 2 else target_ids
        prompt_ids = prompt_ids[-(seq_len - len(target_ids)) :]
    return EncodedExample(
        rec_id, prompt_ids + target_ids, [IGNORE_INDEX] * len(prompt_ids) + target_ids, truncated
    )
