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


# ---- every format as chat messages (prompt templates for classification and summarization)

TEMPLATES: dict[str, str] = {
    "classification": "Classify the following text. Answer with exactly one label{labels}.\n\n{text}",
    "summarization": "Summarize the following document.\n\n{document}",
}


def to_messages(
    rec: dict[str, Any],
    fmt: str = "instruction",
    system_prompt: str | None = None,
    labels: list[str] | None = None,
    templates: dict[str, str] | None = None,
) -> tuple[list[dict[str, str]], str | None]:
    """(prompt messages, target text) for one canonical record; target None for multi-turn chat records
    (their assistant turns are the targets) and for pairwise/ranked/feedback records (no SFT target:
    preference training reads `prompt`/`chosen`/`rejected` itself; the prompt messages are still useful)."""
    tpl = {**TEMPLATES, **(templates or {})}
    if fmt == "chat":
        msgs = [dict(m) for m in rec["messages"]]
        if system_prompt and msgs[0]["role"] != "system":
            msgs.insert(0, {"role": "system", "content": system_prompt})
        return msgs, None
    msgs = []
    system = rec.get("system") or system_prompt
    if system:
        msgs.append({"role": "system", "content": system})
    if fmt == "classification":
        shown = f" ({', '.join(labels)})" if labels else ""
        msgs.append({"role": "user", "content": tpl["classification"].format(text=rec["text"], labels=shown)})
        return msgs, rec["label"]
    if fmt == "summarization":
        msgs.append({"role": "user", "content": tpl["summarization"].format(document=rec["document"])})
        return msgs, rec["summary"]
    msgs.append({"role": "user", "content": rec["prompt"]})
    if fmt in ("instruction", "feedback"):
        return msgs, rec["response"]
    return msgs, None


def encode_record(
    tokenizer: Any,
    rec: dict[str, Any],
    fmt: str,
    seq_len: int,
    system_prompt: str | None = None,
    labels: list[str] | None = None,
    templates: dict[str, str] | None = None,
) -> EncodedExample | None:
    """Token ids + labels with the model's own chat template; only assistant tokens carry loss.

    instruction/classification/summarization: one target turn (the prompt is masked). chat: every
    assistant turn is a target, everything else is masked. None when truncation leaves no target token.
    Other formats have no single SFT target and raise ValueError.
    """
    msgs, target = to_messages(rec, fmt, system_prompt, labels, templates)
    if fmt != "chat":
        if target is None or fmt == "feedback":
            raise ValueError(f"format {fmt!r} has no supervised target; use a preference/feedback trainer")
        return encode_chat_example(
            tokenizer,
            {
                "id": rec["id"],
                "prompt": msgs[-1]["content"],
                "response": target,
                **({"system": msgs[0]["content"]} if msgs[0]["role"] == "system" else {}),
            },
            seq_len,
        )
    ids: list[int] = []
    lab: list[int] = []
    for i, m in enumerate(msgs):
        if m["role"] != "assistant":
            continue
        before = tokenizer.apply_chat_template(msgs[:i], tokenize=False, add_generation_prompt=True)
        through = tokenizer.apply_chat_template(msgs[: i + 1], tokenize=False)
        before_ids = tokenizer(before, add_special_tokens=False)["input_ids"]
        through_ids = tokenizer(through, add_special_tokens=False)["input_ids"]
        if through_ids[: len(ids)] != ids:  # not prefix-stable: fall back to lengths
            through_ids = ids + through_ids[len(ids) :]
        start = max(len(ids), min(len(before_ids), len(through_ids)))
        lab += [IGNORE_INDEX] * (start - len(ids)) + through_ids[start:]
        ids = list(through_ids)
    truncated = len(ids) > seq_len
    ex = EncodedExample(rec["id"], ids[:seq_len], lab[:seq_len], truncated)
    return ex if ex.response_tokens > 0 else None


def as_instruction(
    rec: dict[str, Any], labels: list[str] | None = None, templates: dict[str, str] | None = None
) -> dict[str, Any] | None:
    """One prompt/response view of any supervised record (what evaluation and export parity read): the
    classification/summarization prompt template with its target, or a chat's last user turn and the
    assistant answer that follows it. None for records with no single answer (preference formats)."""
    if "prompt" in rec and "response" in rec:
        return rec
    if "text" in rec and "label" in rec:
        fmt = "classification"
    elif "document" in rec and "summary" in rec:
        fmt = "summarization"
    elif "messages" in rec:
        msgs = rec["messages"]
        last = max((i for i, m in enumerate(msgs) if m["role"] == "assistant" and i > 0), default=None)
        if last is None or msgs[last - 1]["role"] != "user":
            return None
        system = next((m["content"] for m in msgs if m["role"] == "system"), None)
        return {"id": rec["id"], "prompt": msgs[last - 1]["content"], "response": msgs[last]["content"],
                **({"system": system} if system else {})}  # fmt: skip
    else:
        return None
    msgs, target = to_messages(rec, fmt, None, labels, templates)
    system = msgs[0]["content"] if msgs[0]["role"] == "system" else None
    return {"id": rec["id"], "prompt": msgs[-1]["content"], "response": str(target),
            **({"system": system} if system else {})}  # fmt: skip
