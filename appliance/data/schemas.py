"""One canonical record schema per task format (pydantic), the column mapping, and value coercion.

Canonical records are what `train.jsonl`/`validation.jsonl`/`test.jsonl` hold (docs/data.md):

| format         | record                                                                  |
|----------------|-------------------------------------------------------------------------|
| instruction    | {id, prompt, response, system?}                                         |
| chat           | {id, messages: [{role: system|user|assistant, content}]}               |
| classification | {id, text, label: str}                                                  |
| summarization  | {id, document, summary}                                                 |
| preference     | {id, prompt, chosen, rejected, system?}                                 |
| ranking        | {id, prompt, responses: [best, ..., worst] (>= 2), system?}             |
| feedback       | {id, prompt, response, label: bool (true = good), system?}              |
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

SCHEMA_VERSION = 1
NonEmpty = Field(min_length=1)


class _Record(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    id: str = Field(min_length=1)


class InstructionRecord(_Record):
    prompt: str = NonEmpty
    response: str = NonEmpty
    system: str | None = None


class Message(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    role: Literal["system", "user", "assistant"]
    content: str = NonEmpty


class ChatRecord(_Record):
    messages: list[Message] = Field(min_length=2)

    @model_validator(mode="after")
    def _shape(self) -> ChatRecord:
        roles = [m.role for m in self.messages]
        if "system" in roles[1:]:
            raise ValueError("a system message may only come first")
        if "user" not in roles:
            raise ValueError("needs at least one user message")
        if roles[-1] != "assistant":
            raise ValueError("the last message must be from the assistant (the training target)")
        return self


class ClassificationRecord(_Record):
    text: str = NonEmpty
    label: str = NonEmpty


class SummarizationRecord(_Record):
    document: str = NonEmpty
    summary: str = NonEmpty


class PreferenceRecord(_Record):
    prompt: str = NonEmpty
    chosen: str = NonEmpty
    rejected: str = NonEmpty
    system: str | None = None

    @model_validator(mode="after")
    def _differ(self) -> PreferenceRecord:
        if self.chosen == self.rejected:
            raise ValueError("chosen and rejected are identical")
        return self


class RankingRecord(_Record):
    prompt: str = NonEmpty
    responses: list[str] = Field(min_length=2)
    system: str | None = None

    @model_validator(mode="after")
    def _nonempty(self) -> RankingRecord:
        if any(not r for r in self.responses):
            raise ValueError("a ranked response is empty")
        return self


class FeedbackRecord(_Record):
    prompt: str = NonEmpty
    response: str = NonEmpty
    label: bool
    system: str | None = None


@dataclass(frozen=True)
class FormatSpec:
    name: str
    model: type[_Record]
    fields: tuple[str, ...]  # canonical fields read from the source (besides id)
    required: tuple[str, ...]
    truncate: str | None  # the field shortened when `clean.too_long: truncate`; None = drop instead
    label: Literal["class", "bool"] | None = None
    prompt_field: str | None = None  # varied by template augmentation

    @property
    def schema_id(self) -> str:
        return f"appliance.data/{self.name}@{SCHEMA_VERSION}"


FORMATS: dict[str, FormatSpec] = {
    "instruction": FormatSpec(
        "instruction",
        InstructionRecord,
        ("prompt", "response", "system"),
        ("prompt", "response"),
        "response",
        prompt_field="prompt",
    ),
    "chat": FormatSpec("chat", ChatRecord, ("messages",), ("messages",), None),
    "classification": FormatSpec(
        "classification", ClassificationRecord, ("text", "label"), ("text", "label"), "text", label="class"
    ),
    "summarization": FormatSpec(
        "summarization", SummarizationRecord, ("document", "summary"), ("document", "summary"), "document"
    ),
    "preference": FormatSpec(
        "preference",
        PreferenceRecord,
        ("prompt", "chosen", "rejected", "system"),
        ("prompt", "chosen", "rejected"),
        None,
        prompt_field="prompt",
    ),
    "ranking": FormatSpec(
        "ranking",
        RankingRecord,
        ("prompt", "responses", "system"),
        ("prompt", "responses"),
        None,
        prompt_field="prompt",
    ),
    "feedback": FormatSpec(
        "feedback",
        FeedbackRecord,
        ("prompt", "response", "label", "system"),
        ("prompt", "response", "label"),
        "response",
        label="bool",
        prompt_field="prompt",
    ),
}

# Column names tried, in order, when a field is left at its default and that column is absent.
SYNONYMS: dict[str, tuple[str, ...]] = {
    "id": ("id", "_id", "uid", "uuid", "record_id", "example_id", "note_id", "ticket_id", "key"),
    "prompt": ("prompt", "instruction", "question", "query", "input", "user", "request", "context"),
    "response": ("response", "answer", "output", "completion", "reply", "assistant", "target"),
    "system": ("system", "system_prompt", "system_message"),
    "messages": ("messages", "conversation", "conversations", "dialog", "dialogue", "turns", "chat"),
    "text": ("text", "sentence", "content", "review", "body", "input", "utterance", "message"),
    "label": (
        "label",
        "labels",
        "class",
        "category",
        "sentiment",
        "target",
        "rating",
        "feedback",
        "is_good",
        "good",
        "thumbs_up",
        "kto_label",
    ),
    "document": ("document", "article", "text", "source", "body", "note", "content", "dialogue"),
    "summary": ("summary", "highlights", "abstract", "tldr", "headline"),
    "chosen": ("chosen", "preferred", "better", "response_chosen", "chosen_response", "winner"),
    "rejected": ("rejected", "dispreferred", "worse", "response_rejected", "rejected_response", "loser"),
    "responses": ("responses", "ranked_responses", "ranking", "ranked", "candidates", "completions"),
}

FORMAT_HINTS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("chat", ("messages",)),
    ("preference", ("chosen", "rejected")),
    ("ranking", ("responses",)),
    ("summarization", ("document", "summary")),
    ("feedback", ("prompt", "response", "label")),
    ("instruction", ("prompt", "response")),
    ("classification", ("text", "label")),
)


def text_fields(fmt: str) -> list[str]:
    """Where the text of a canonical record lives (for scrubbing): 'messages[].content', 'responses[]'."""
    spec = FORMATS[fmt]
    out = []
    for f in spec.fields:
        if f == "messages":
            out.append("messages[].content")
        elif f == "responses":
            out.append("responses[]")
        elif f == "label":
            continue
        else:
            out.append(f)
    return out


def infer_mapping(fmt: str, columns: list[str], fields: Any) -> dict[str, Any]:
    """Canonical field -> source column (or list of columns for ranking responses, None for absent).

    A field set explicitly in the config is used as is; a defaulted field whose column is absent is looked
    up among the synonyms (case-insensitive); the id column is optional (ids are then keyed hashes).
    """
    spec = FORMATS[fmt]
    explicit = set(getattr(fields, "model_fields_set", set()))
    lower = {c.lower(): c for c in columns}
    used: set[str] = set()
    out: dict[str, Any] = {}
    for f in ("id", *spec.fields):
        configured = getattr(fields, f, None)
        if f in explicit or (f == "system" and configured):
            out[f] = configured
            if isinstance(configured, str):
                used.add(configured)
            elif isinstance(configured, list):
                used.update(configured)
    for f in ("id", *spec.fields):
        if f in out:
            continue
        configured = getattr(fields, f, None)
        if isinstance(configured, str) and configured in columns and configured not in used:
            out[f] = configured
            used.add(configured)
            continue
        found = None
        for cand in SYNONYMS.get(f, ()):
            col = lower.get(cand)
            if col is not None and col not in used:
                found = col
                break
        if found is None and f == "responses":
            ranked = sorted(c for c in columns if re.fullmatch(r"(response|completion|rank)_?\d+", c.lower()))
            if len(ranked) >= 2:
                found = sorted(ranked, key=lambda c: int(re.sub(r"\D", "", c)))  # type: ignore[assignment]
        if found is None and f in ("id", "system"):
            out[f] = None
            continue
        out[f] = found if found is not None else configured
        if isinstance(found, str):
            used.add(found)
        elif isinstance(found, list):
            used.update(found)
    return out


def guess_format(columns: list[str]) -> str | None:
    lower = {c.lower() for c in columns}
    for fmt, needs in FORMAT_HINTS:
        if all(any(s in lower for s in SYNONYMS[n]) for n in needs):
            return fmt
    return None


# ---- value coercion: raw source value -> canonical value, or a Problem naming the field, never the value


class Problem(Exception):
    def __init__(self, reason: str, field: str | None, message: str):
        super().__init__(message)
        self.reason, self.field, self.message = reason, field, message


MISSING = object()
_SURROGATE = re.compile(r"[\ud800-\udfff]")
_TRUE = {"true", "1", "yes", "y", "good", "positive", "pos", "up", "thumbs_up", "👍", "accept", "accepted"}
_FALSE = {
    "false",
    "0",
    "no",
    "n",
    "bad",
    "negative",
    "neg",
    "down",
    "thumbs_down",
    "👎",
    "reject",
    "rejected",
}
_ROLES = {
    "system": "system",
    "user": "user",
    "human": "user",
    "assistant": "assistant",
    "gpt": "assistant",
    "model": "assistant",
    "bot": "assistant",
}


def _text(value: Any, field: str) -> Any:
    if value is None:
        return MISSING
    if not isinstance(value, str):
        raise Problem("wrong_type", field, f"field '{field}' must be text, got {type(value).__name__}")
    if _SURROGATE.search(value):
        raise Problem(
            "invalid_unicode", field, f"field '{field}' holds an unpaired surrogate (invalid Unicode)"
        )
    return value


def _maybe_json(value: Any, field: str) -> Any:
    if isinstance(value, str):
        s = value.strip()
        if not s:
            return MISSING
        try:
            return json.loads(s)
        except json.JSONDecodeError as exc:
            raise Problem(
                "invalid_json", field, f"field '{field}' is text but not a JSON list ({exc.msg})"
            ) from None
    if hasattr(value, "tolist"):  # numpy arrays from some Parquet writers
        return value.tolist()
    return value


def coerce(fmt: str, mapping: dict[str, Any], data: dict[str, Any]) -> dict[str, Any]:
    """Map a source row to canonical fields; MISSING marks absent/null values (handled by `missing:`)."""
    spec = FORMATS[fmt]
    rec: dict[str, Any] = {}
    id_col = mapping.get("id")
    if id_col is not None:
        rid = data.get(id_col)
        if rid is None or (isinstance(rid, str) and not rid.strip()):
            rec["id"] = MISSING
        elif isinstance(rid, bool) or not isinstance(rid, (str, int)):
            raise Problem(
                "wrong_type",
                id_col,
                f"field '{id_col}' (id) must be text or an integer, got {type(rid).__name__}",
            )
        else:
            rec["id"] = str(rid).strip()
    else:
        rec["id"] = MISSING
    for f in spec.fields:
        col = mapping.get(f)
        if f == "responses" and isinstance(col, list):
            vals = [_text(data.get(c), c) for c in col]
            vals = [v for v in vals if v is not MISSING and v.strip()]
            rec[f] = vals if vals else MISSING
            continue
        if col is None:
            rec[f] = MISSING
            continue
        value = data.get(col)
        if f == "messages":
            rec[f] = _messages(_maybe_json(value, col), col)
        elif f == "responses":
            value = _maybe_json(value, col)
            if value is None or value is MISSING:
                rec[f] = MISSING
            elif not isinstance(value, list):
                raise Problem(
                    "wrong_type", col, f"field '{col}' must be a list of texts, got {type(value).__name__}"
                )
            else:
                rec[f] = [_text(v, f"{col}[{i}]") for i, v in enumerate(value)]
                if any(v is MISSING for v in rec[f]):
                    raise Problem("wrong_type", col, f"field '{col}' holds a null response")
        elif f == "label":
            rec[f] = _label(value, col, spec.label)
        else:
            rec[f] = _text(value, col)
    return rec


def _label(value: Any, col: str, kind: str | None) -> Any:
    if value is None or (isinstance(value, str) and not value.strip()):
        return MISSING
    if kind == "bool":
        if isinstance(value, bool):
            return value
        if isinstance(value, (int, float)) and value in (0, 1):
            return bool(value)
        if isinstance(value, str):
            v = value.strip().lower()
            if v in _TRUE:
                return True
            if v in _FALSE:
                return False
        raise Problem(
            "invalid_value", col, f"field '{col}' (feedback label) must be good/bad, true/false or 1/0"
        )
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, str):
        return value.strip()
    raise Problem(
        "wrong_type", col, f"field '{col}' (label) must be text or an integer, got {type(value).__name__}"
    )


def _messages(value: Any, col: str) -> Any:
    if value is None or value is MISSING:
        return MISSING
    if not isinstance(value, list):
        raise Problem(
            "wrong_type", col, f"field '{col}' must be a list of messages, got {type(value).__name__}"
        )
    out = []
    for i, m in enumerate(value):
        if not isinstance(m, dict):
            raise Problem("wrong_type", f"{col}[{i}]", f"message {i} of '{col}' must be an object")
        role = m.get("role") if m.get("role") is not None else m.get("from")
        content = m.get("content") if m.get("content") is not None else m.get("value")
        if not isinstance(role, str) or role.lower() not in _ROLES:
            raise Problem(
                "invalid_value",
                f"{col}[{i}].role",
                f"message {i} of '{col}' has no valid role (system, user or assistant)",
            )
        c = _text(content, f"{col}[{i}].content")
        out.append({"role": _ROLES[role.lower()], "content": "" if c is MISSING else c})
    return out


def validate(fmt: str, rec: dict[str, Any]) -> dict[str, Any]:
    """Validate a canonical dict with the format's pydantic model; Problem names the field (no value)."""
    try:
        obj = FORMATS[fmt].model.model_validate(rec)
    except ValidationError as exc:
        e = exc.errors(include_input=False, include_url=False)[0]
        loc = ".".join(str(p) for p in e["loc"]) or "(record)"
        raise Problem("schema", loc, f"field '{loc}': {e['msg']}") from None
    return obj.model_dump(exclude_none=True)


__all__ = [
    "FORMATS",
    "MISSING",
    "ChatRecord",
    "ClassificationRecord",
    "FeedbackRecord",
    "FormatSpec",
    "InstructionRecord",
    "PreferenceRecord",
    "Problem",
    "RankingRecord",
    "SummarizationRecord",
    "coerce",
    "guess_format",
    "infer_mapping",
    "text_fields",
    "validate",
]
