"""Render canonical records with the model's own chat template; mask the prompt out of the loss."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

IGNORE_INDEX = -100


@dataclass(frozen=True)
class EncodedExample:
    id: str
    input_ids: list[int]
    labels: list[int]  # IGNORE_INDEX on prompt tokens: the loss covers the response only
    truncated: bool

    @property
    def response_tokens(self) -> int:
        return sum(1 for t in self.labels if t != IGNORE_INDEX)


def chat_messages(rec: dict[str, Any], system_prompt: str | None) -> list[dict[str, str]]:
    msgs = []
    system = rec.get("system") or system_prompt
    if system:
        msgs.append({"role": "system", "content": system})
    msgs.append({"role": "user", "content": rec["prompt"]})
    return msgs


def render_prompt(tokenizer: Any, rec: dict[str, Any], system_prompt: str | None) -> str:
    return tokenizer.apply_chat_template(
        chat_messages(rec, system_prompt), tokenize=False, add_generation_prompt=True
    )


def encode_chat_example(
    tokenizer: Any, rec: dict[str, Any], seq_len: int, system_prompt: str | None = None
) -> EncodedExample | None:
    """Token ids and labels for one instruction record; None when truncation leaves no response token."""
    msgs = chat_messages(rec, system_prompt)
    prompt_text = tokenizer.apply_chat_template(msgs, tokenize=False, add_generation_prompt=True)
    full_text = tokenizer.apply_chat_template(
        [*msgs, {"role": "assistant", "content": rec["response"]}], tokenize=False
    )
    prompt_ids = tokenizer(prompt_text, add_special_tokens=False)["input_ids"]
    full_ids = tokenizer(full_text, add_special_tokens=False)["input_ids"]
    if full_ids[: len(prompt_ids)] != prompt_ids:
        # Templates whose rendering of the prompt is not a token prefix of the full chat: mask by length.
        prompt_ids = full_ids[: min(len(prompt_ids), len(full_ids))]
    labels = [IGNORE_INDEX] * len(prompt_ids) + full_ids[len(prompt_ids) :]
    truncated = len(full_ids) > seq_len
    full_ids, labels = full_ids[:seq_len], labels[:seq_len]
    ex = EncodedExample(rec["id"], full_ids, labels, truncated)
    return ex if ex.response_tokens > 0 else None
