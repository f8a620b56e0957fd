"""Text cleaning (NFC, control and zero-width characters, HTML remnants, whitespace) and token counting.

Each cleaner counts how many field values it changed (`Counter` keyed by step), never what it removed.
HTML removal only touches known HTML tag names and character references, so scrub placeholders such as
`<PERSON>` and comparisons such as `a < b` survive.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections import Counter
from pathlib import Path
from typing import Any

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
# zero-width space/joiners, word joiner, BOM, soft hyphen, Mongolian vowel separator, bidi controls
_ZERO_WIDTH = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u00ad\u180e\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_HTML_TAGS = (
    "a|abbr|b|blockquote|body|br|center|code|dd|div|dl|dt|em|font|h[1-6]|head|hr|html|i|img|li|meta|ol|p|pre|"
    "s|small|span|strike|strong|sub|sup|table|tbody|td|tfoot|th|thead|title|tr|tt|u|ul|link|label|input|form|"
    "section|article|header|footer|nav|main|figure|figcaption|caption|col|colgroup|del|ins|mark|q|cite|wbr"
)
_BLOCK = re.compile(
    r"<\s*(?:br|p|div|li|tr|h[1-6]|hr|table|ul|ol|blockquote|pre)\b[^<>]*>|</\s*(?:p|div|li|tr|"
    r"h[1-6]|table|ul|ol|blockquote|pre)\s*>",
    re.IGNORECASE,
)
_TAG = re.compile(rf"</?\s*(?:{_HTML_TAGS})\b[^<>]*/?>", re.IGNORECASE)
_SCRIPT = re.compile(r"<\s*(script|style)\b[^<>]*>.*?</\s*\1\s*>", re.IGNORECASE | re.DOTALL)
_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
_ENTITY = re.compile(r"&(?:#\d{1,7}|#[xX][0-9a-fA-F]{1,6}|[a-zA-Z][a-zA-Z0-9]{1,31});")
_SPACES = re.compile(r"[ \t\f\v\u00a0\u2000-\u200a\u202f\u205f\u3000]+")
_SPACE_NL = re.compile(r" *\n *")
_MANY_NL = re.compile(r"\n{3,}")


class Cleaner:
    def __init__(self, cfg: Any):
        self.cfg = cfg
        self.changed: Counter[str] = Counter()

    def __call__(self, text: str) -> str:
        cfg = self.cfg
        if not cfg.enabled:
            return text
        if cfg.unicode_nfc and not text.isascii():
            t = unicodedata.normalize("NFC", text)
            if t != text:
                self.changed["unicode_nfc"] += 1
                text = t
        if "\r" in text:
            text = text.replace("\r\n", "\n").replace("\r", "\n")
        if cfg.control_chars:
            t = _CONTROL.sub("", text)
            if t != text:
                self.changed["control_chars"] += 1
                text = t
        if cfg.zero_width and not text.isascii():
            t = _ZERO_WIDTH.sub("", text)
            if t != text:
                self.changed["zero_width"] += 1
                text = t
        if cfg.html and ("<" in text or "&" in text):
            t = _COMMENT.sub("", _SCRIPT.sub("", text))
            t = _TAG.sub("", _BLOCK.sub("\n", t))
            t = _ENTITY.sub(lambda m: html.unescape(m.group(0)), t)
            if t != text:
                self.changed["html"] += 1
                text = t
        if cfg.whitespace:
            t = _MANY_NL.sub("\n\n", _SPACE_NL.sub("\n", _SPACES.sub(" ", text))).strip()
            if t != text:
                self.changed["whitespace"] += 1
                text = t
        return text


class TokenCounter:
    """Counts tokens with the base model's tokenizer, or whitespace-separated words when there is none."""

    def __init__(self, tokenizer: Any = None, name: str | None = None):
        self.tokenizer = tokenizer
        self.name = name or ("whitespace" if tokenizer is None else type(tokenizer).__name__)

    @classmethod
    def load(cls, spec: Any) -> TokenCounter:
        """`spec`: None (whitespace), a tokenizer object, or a local model/tokenizer folder."""
        if spec is None:
            return cls()
        if isinstance(spec, (str, Path)):
            from appliance.errors import BadInput

            path = Path(spec)
            if not path.is_dir():
                raise BadInput(f"tokenizer folder not found: {path} (data.clean.tokenizer)")
            from transformers import AutoTokenizer

            try:
                tok = AutoTokenizer.from_pretrained(str(path), local_files_only=True)
            except Exception as exc:
                raise BadInput(
                    f"{path}: cannot load a tokenizer from this folder ({type(exc).__name__})"
                ) from None
            return cls(tok, f"tokenizer:{path.name}")
        return cls(spec, f"tokenizer:{getattr(spec, 'name_or_path', '') or type(spec).__name__}")

    def count(self, text: str) -> int:
        if self.tokenizer is None:
            return len(text.split())
        return len(self.tokenizer(text, add_special_tokens=False)["input_ids"])

    def truncate(self, text: str, n: int) -> str:
        """The longest prefix of `text` with at most `n` tokens (0 → '')."""
        if n <= 0:
            return ""
        if self.tokenizer is None:
            words = list(re.finditer(r"\S+", text))
            return text if len(words) <= n else text[: words[n - 1].end()]
        enc = self.tokenizer(text, add_special_tokens=False, return_offsets_mapping=True)
        offsets = enc["offset_mapping"]
        return text if len(offsets) <= n else text[: offsets[n - 1][1]]


__all__ = ["Cleaner", "TokenCounter"]
