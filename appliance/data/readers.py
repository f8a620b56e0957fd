"""Streaming readers for JSONL, CSV and Parquet: one `Row` at a time, never the whole file in memory.

A reader never raises on a bad row: it yields `Row(pos, None, RowError(...))` so the caller applies the
`invalid:` policy (fail with the line number, or drop and count). File-level problems (missing file, not a
Parquet file, undecodable encoding) raise `BadInput`. Errors name the file, the line/row and the field,
never a value.
"""

from __future__ import annotations

import codecs
import csv
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from appliance.errors import BadInput

SNIFF_BYTES = 64 * 1024
DELIMITERS = (",", "\t", ";", "|")
JSONL_SUFFIXES = (".jsonl", ".ndjson", ".json")
CSV_SUFFIXES = (".csv", ".tsv", ".tab", ".txt")
PARQUET_SUFFIXES = (".parquet", ".pq", ".parq")


@dataclass(frozen=True)
class RowError:
    reason: str  # invalid_json | invalid_utf8 | too_large | not_object | csv_error | ...
    message: str  # says what is wrong and where (field name), never the value
    field: str | None = None


@dataclass
class Row:
    pos: int  # JSONL/CSV: 1-based line number where the record starts; Parquet: 1-based row number
    data: dict[str, Any] | None
    error: RowError | None = None


@dataclass
class SourceInfo:
    path: Path
    type: str  # jsonl | csv | parquet
    encoding: str | None = None
    bom: bool = False
    delimiter: str | None = None
    columns: list[str] = field(default_factory=list)
    rows_hint: int | None = None  # Parquet: from the footer; others: unknown until read
    size: int = 0

    @property
    def unit(self) -> str:
        return "row" if self.type == "parquet" else "line"

    def where(self, pos: int) -> str:
        return f"{self.path}: row {pos}" if self.type == "parquet" else f"{self.path}:{pos}"

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.path.name,
            "type": self.type,
            "encoding": self.encoding,
            "bom": self.bom,
            "delimiter": self.delimiter,
            "columns": self.columns,
            "bytes": self.size,
        }


def detect_type(path: Path, declared: str = "auto") -> str:
    if declared != "auto":
        return declared
    suffix = path.suffix.lower()
    if suffix in JSONL_SUFFIXES:
        return "jsonl"
    if suffix in PARQUET_SUFFIXES:
        return "parquet"
    if suffix in CSV_SUFFIXES:
        return "csv"
    with open(path, "rb") as f:
        head = f.read(SNIFF_BYTES)
    if head.startswith(b"PAR1"):
        return "parquet"
    if head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"{"):
        return "jsonl"
    return "csv"


def sniff_encoding(path: Path) -> tuple[str, bool]:
    """(encoding, has_bom): BOM first, then strict UTF-8 on a sample, then charset-normalizer's guess."""
    with open(path, "rb") as f:
        head = f.read(SNIFF_BYTES)
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8", True
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16", True
    sample = head
    if len(head) == SNIFF_BYTES and b"\n" in head:  # do not judge a multi-byte character cut at the end
        sample = head[: head.rindex(b"\n") + 1]
    try:
        sample.decode("utf-8")
        return "utf-8", False
    except UnicodeDecodeError:
        pass
    try:
        from charset_normalizer import from_bytes

        matches = list(from_bytes(sample))
        if matches:
            best = matches[0]
            tied = [m.encoding for m in matches if (m.chaos, m.coherence) == (best.chaos, best.coherence)]
            # on a tie (short samples) prefer the most common legacy encoding, Windows-1252
            enc = "cp1252" if "cp1252" in tied else best.encoding
            return codecs.lookup(enc).name, False
    except ImportError:  # pragma: no cover - charset-normalizer is a declared dependency
        pass
    return "cp1252", False


def sniff_delimiter(header_line: str, suffix: str) -> str:
    """The candidate that splits the header line most often (tab for .tsv on a tie); ',' by default."""
    counts = {d: header_line.count(d) for d in DELIMITERS}
    best = max(counts.values())
    if best == 0:
        return "\t" if suffix in (".tsv", ".tab") else ","
    if suffix in (".tsv", ".tab") and counts["\t"] == best:
        return "\t"
    return next(d for d in DELIMITERS if counts[d] == best)


def analyze(
    path: Path, declared: str = "auto", encoding: str | None = None, delimiter: str | None = None
) -> SourceInfo:
    """Look at the head of the file (and a Parquet footer): type, encoding, delimiter, columns."""
    if not path.is_file():
        raise BadInput(f"dataset file not found: {path}")
    info = SourceInfo(path=path, type=detect_type(path, declared), size=path.stat().st_size)
    if info.type == "parquet":
        pf = _parquet_file(path)
        info.columns = list(pf.schema_arrow.names)
        info.rows_hint = pf.metadata.num_rows
    elif info.type == "csv":
        if encoding:
            try:
                info.encoding = codecs.lookup(encoding).name
            except LookupError:
                raise BadInput(f"unknown encoding {encoding!r} in data.input.encoding") from None
            with open(path, "rb") as f:
                info.bom = f.read(3) == codecs.BOM_UTF8 and info.encoding == "utf-8"
        else:
            info.encoding, info.bom = sniff_encoding(path)
        header = _first_line(path, info.encoding)
        info.delimiter = delimiter or sniff_delimiter(header, path.suffix.lower())
        try:
            info.columns = next(csv.reader([header], delimiter=info.delimiter))
        except (csv.Error, StopIteration):
            info.columns = []
        info.columns = [c.strip() for c in info.columns]
    else:
        info.encoding = "utf-8"
        with open(path, "rb") as f:
            info.bom = f.read(3) == codecs.BOM_UTF8
    return info


def _first_line(path: Path, encoding: str) -> str:
    with open(path, encoding=encoding, errors="replace", newline="") as f:
        line = f.readline(SNIFF_BYTES)
    return line.lstrip("\ufeff").rstrip("\r\n")


def _parquet_file(path: Path) -> Any:
    import pyarrow.parquet as pq

    try:
        return pq.ParquetFile(path)
    except Exception as exc:  # pyarrow raises ArrowInvalid/OSError with its own words
        raise BadInput(f"{path}: not a readable Parquet file ({type(exc).__name__})") from None


def _read_line(f: Any, limit: int) -> tuple[bytes, int]:
    """One physical line of at most `limit` bytes; (b'', size) when it is longer (the rest is skipped)."""
    raw = f.readline(limit + 1)
    if len(raw) <= limit or raw.endswith(b"\n"):
        return raw, len(raw)
    size = len(raw)
    while chunk := f.readline(1 << 20):
        size += len(chunk)
        if chunk.endswith(b"\n"):
            break
    return b"", size


def iter_jsonl_rows(path: Path, max_bytes: int) -> Iterator[Row]:
    with open(path, "rb") as f:
        lineno = 0
        while True:
            raw, size = _read_line(f, max_bytes)
            if not size:
                return
            lineno += 1
            if not raw:
                yield Row(
                    lineno,
                    None,
                    RowError(
                        "too_large",
                        f"record is {size} bytes, over the limit of "
                        f"{max_bytes} (data.input.max_record_bytes)",
                    ),
                )
                continue
            if lineno == 1 and raw.startswith(codecs.BOM_UTF8):
                raw = raw[3:]
            if not raw.strip():
                continue
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                yield Row(
                    lineno,
                    None,
                    RowError(
                        "invalid_utf8", f"not valid UTF-8 (byte {exc.start}); re-export the file as UTF-8"
                    ),
                )
                continue
            try:
                obj = json.loads(text)
            except json.JSONDecodeError as exc:
                yield Row(
                    lineno,
                    None,
                    RowError("invalid_json", f"malformed JSON ({exc.msg} at column {exc.colno})"),
                )
                continue
            except RecursionError:
                yield Row(lineno, None, RowError("invalid_json", "malformed JSON (nested too deeply)"))
                continue
            if not isinstance(obj, dict):
                yield Row(
                    lineno,
                    None,
                    RowError("not_object", f"expected one JSON object per line, got {type(obj).__name__}"),
                )
                continue
            yield Row(lineno, obj)


def iter_csv_rows(info: SourceInfo, max_bytes: int) -> Iterator[Row]:
    """CSV rows as dicts keyed by the header; quoted newlines work; `pos` is the row's first line."""
    path, enc = info.path, info.encoding or "utf-8"
    csv.field_size_limit(max(max_bytes, csv.field_size_limit()))
    bad: dict[int, RowError] = {}  # physical line -> problem, for lines the decoder or size check refused
    per_line = codecs.lookup(enc).name in (
        "utf-8",
        "ascii",
        "latin-1",
        "iso8859-1",
        "cp1252",
    ) or enc.startswith("cp")

    def binary_lines() -> Iterator[str]:
        with open(path, "rb") as f:
            n = 0
            while True:
                raw, size = _read_line(f, max_bytes)
                if not size:
                    return
                n += 1
                if n == 1 and info.bom and raw.startswith(codecs.BOM_UTF8):
                    raw = raw[3:]
                if not raw:
                    bad[n] = RowError(
                        "too_large",
                        f"line is {size} bytes, over the limit of {max_bytes} (data.input.max_record_bytes)",
                    )
                    yield "\n"
                    continue
                try:
                    yield raw.decode(enc)
                except UnicodeDecodeError as exc:
                    bad[n] = RowError(
                        "invalid_utf8" if enc == "utf-8" else "invalid_encoding",
                        f"not valid {enc} (byte {exc.start}); re-export the file as UTF-8",
                    )
                    yield raw.decode(enc, errors="replace")

    if per_line:
        reader = csv.reader(binary_lines(), delimiter=info.delimiter or ",")
        handle = None
    else:  # UTF-16 and other multi-byte encodings: let the codec find line ends
        handle = open(path, encoding=enc, errors="strict", newline="")
        reader = csv.reader(handle, delimiter=info.delimiter or ",")
    try:
        header: list[str] | None = None
        prev_end = 0
        while True:
            try:
                row = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                start = prev_end + 1
                prev_end = reader.line_num
                msg = str(exc).split(":")[0] if "field larger" in str(exc) else "malformed CSV row"
                if header is None:
                    raise BadInput(f"{path}:{start}: the header row is unreadable ({msg})") from None
                yield Row(start, None, RowError("csv_error", msg))
                continue
            except UnicodeDecodeError as exc:
                raise BadInput(
                    f"{path}: not valid {enc} text near line {reader.line_num + 1} (byte offset "
                    f"{exc.start} of a block); set data.input.encoding or re-export as UTF-8"
                ) from None
            start, end = prev_end + 1, reader.line_num
            prev_end = end
            problem = None
            if bad:
                for ln in [ln for ln in bad if ln <= end]:
                    if ln >= start and problem is None:
                        problem = bad[ln]
                    del bad[ln]
            if header is None:
                if problem:
                    raise BadInput(f"{path}:{start}: the header row is unreadable ({problem.message})")
                header = [h.strip() for h in row]
                if info.bom and header:
                    header[0] = header[0].lstrip("\ufeff")
                dupes = sorted({h for h in header if header.count(h) > 1})
                if dupes:
                    raise BadInput(f"{path}:1: {len(dupes)} duplicate column names in the header row; rename them")
                continue
            if not row or (len(row) == 1 and not row[0].strip()):
                continue  # blank line
            if problem:
                yield Row(start, None, problem)
                continue
            if len(row) > len(header):
                yield Row(
                    start,
                    None,
                    RowError(
                        "csv_error",
                        f"{len(row)} fields but the header has {len(header)} (unquoted delimiter?)",
                    ),
                )
                continue
            yield Row(start, {h: (row[i] if i < len(row) else None) for i, h in enumerate(header)})
    finally:
        if handle is not None:
            handle.close()


def iter_parquet_rows(path: Path, columns: list[str] | None, batch_size: int = 1024) -> Iterator[Row]:
    """Row-group streaming: only `batch_size` rows of the needed columns are materialized at a time."""
    pf = _parquet_file(path)
    names = set(pf.schema_arrow.names)
    cols = [c for c in columns if c in names] if columns else None
    n = 0
    for batch in pf.iter_batches(batch_size=batch_size, columns=cols):
        for obj in batch.to_pylist():
            n += 1
            yield Row(n, obj)


def iter_rows(info: SourceInfo, max_bytes: int, columns: list[str] | None = None) -> Iterator[Row]:
    if info.type == "jsonl":
        return iter_jsonl_rows(info.path, max_bytes)
    if info.type == "csv":
        return iter_csv_rows(info, max_bytes)
    if info.type == "parquet":
        return iter_parquet_rows(info.path, columns)
    raise BadInput(f"unknown input type {info.type!r}")


def sample_columns(info: SourceInfo, max_bytes: int, n: int = 200) -> list[str]:
    """Column names: the header (CSV/Parquet) or the keys of the first `n` good JSONL objects, in order."""
    if info.type != "jsonl":
        return info.columns
    seen: dict[str, None] = {}
    for i, row in enumerate(iter_jsonl_rows(info.path, max_bytes)):
        if i >= n:
            break
        if row.data:
            for k in row.data:
                seen.setdefault(str(k), None)
    return list(seen)


def count_rows(info: SourceInfo, max_bytes: int) -> int:
    if info.rows_hint is not None:
        return info.rows_hint
    if info.type == "jsonl":
        n = 0
        with open(info.path, "rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                n += block.count(b"\n")
        return n
    return sum(1 for _ in iter_csv_rows(info, max_bytes))


__all__ = ["Row", "RowError", "SourceInfo", "analyze", "count_rows", "iter_rows", "sample_columns"]
