"""PII scrubbing with Presidio under a policy pack.

`Scrubber` (engine.py) builds a Presidio analyzer (spaCy NER with only the components it needs, Presidio's
predefined recognizers, this package's recognizers, the policy's own) and an anonymizer from a `Policy`.
`scrub_jsonl()` / `scrub_csv()` stream a file through it in batches (spaCy `pipe`), on several processes
when the input is large, and count findings by entity type and operator. Raw values never leave this
module: not in reports, logs, audit records or errors. A small review sample with raw values is kept in
memory only (`ScrubStats.review_sample`) for the operator's screen.
"""

from __future__ import annotations

import csv
import gc
import json
import math
import multiprocessing
import os
import re
import secrets
import signal
import time
from bisect import bisect_left
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple, TypeVar

from appliance.errors import ApplianceError, BadInput
from appliance.events import EventSink, NullSink, StageProgress
from appliance.scrub import structured
from appliance.scrub.engine import Finding, Scrubber, TextResult
from appliance.scrub.operators import pseudonym_key
from appliance.workspace import fsync_dir

__all__ = [
    "BATCH_SIZE",
    "Finding",
    "ScrubStats",
    "Scrubber",
    "TextResult",
    "count_lines",
    "pseudonym_key",
    "scrub_csv",
    "scrub_dataset",
    "scrub_file",
    "scrub_jsonl",
    "scrub_records",
]

BATCH_SIZE = 64
MAX_CHUNK_CHARS = 100_000  # longer texts are scrubbed in pieces split at paragraph/sentence/space boundaries
MAX_LINE_BYTES = 64 * 1024 * 1024
REVIEW_LIMIT = 25
MIN_JOB_RECORDS = 32  # the smallest job a worker gets at the end of a run
# Characters of text per job, so that long documents are shared out between the workers. Above ~250,000 the
# NER's largest arrays pass the 64 MiB up to which a worker keeps freed memory (`_keep_freed_memory`), and
# each job paid page faults again (a 1.5-million-character record: 24 s at 500,000, 14-17 s at 200,000).
MAX_JOB_CHARS = 200_000
AUTO_PROCESSES_MIN_RECORDS = 400
AUTO_PROCESSES_MIN_BYTES = 160_000  # about as much text as 400 records of a few hundred characters
PROGRESS_INTERVAL = 0.1  # seconds between progress events

T = TypeVar("T")


@dataclass
class ScrubStats:
    records_in: int = 0
    records_out: int = 0
    records_dropped: int = 0
    fields_scrubbed: int = 0
    fields_missing: int = 0
    fields_skipped: int = 0  # present but not text (true/false); left untouched
    keys_scrubbed: int = 0  # keys of objects inside scrubbed fields
    texts_chunked: int = 0
    fields_found: Counter = field(default_factory=Counter)  # field -> records that have it (text or not)
    entities: Counter = field(default_factory=Counter)
    operators: Counter = field(default_factory=Counter)  # "ENTITY:operator" -> count
    dropped_reasons: Counter = field(default_factory=Counter)
    dropped_lines: list[int] = field(default_factory=list)
    residual_fields: int = 0
    max_residual_risk: float = 0.0
    processes: int = 1
    seconds: float = 0.0
    # In memory only, for the operator's screen: raw values. Never written by as_dict().
    review_sample: list[dict[str, Any]] = field(default_factory=list, repr=False)

    def as_dict(self) -> dict[str, Any]:
        by_op: dict[str, dict[str, int]] = {}
        for k, n in sorted(self.operators.items()):
            ent, op = k.split(":", 1)
            by_op.setdefault(ent, {})[op] = n
        return {
            "records_in": self.records_in,
            "records_out": self.records_out,
            "records_dropped": self.records_dropped,
            "records_dropped_by_reason": dict(sorted(self.dropped_reasons.items())),
            "dropped_lines": self.dropped_lines[:100],
            "fields_scrubbed": self.fields_scrubbed,
            "fields_missing": self.fields_missing,
            "fields_skipped": self.fields_skipped,
            "keys_scrubbed": self.keys_scrubbed,
            "texts_chunked": self.texts_chunked,
            "entities_found": sum(self.entities.values()),
            "entities_by_type": dict(sorted(self.entities.items())),
            "entities_by_operator": by_op,
            "residual": {
                "fields_with_residual": self.residual_fields,
                "max_risk": round(self.max_residual_risk, 4),
            },
            "processes": self.processes,
            "seconds": round(self.seconds, 3),
        }


# ---------------------------------------------------------------------------------------------------------
# reading


# `\ud800`-`\udfff` escapes: a pair makes one character, one alone is an error only UTF-8 encoding reveals
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")


def _finite_float(text: str) -> float:
    value = float(text)
    if math.isinf(value):
        raise OverflowError(text)
    return value


def _read_jsonl(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    try:
        f = open(path, "rb")
    except FileNotFoundError:
        raise BadInput(f"input file not found: {path}") from None
    with f:
        # lines are read up to the limit: a longer one is never held whole (a file of one 30 GB line)
        for lineno, raw in enumerate(iter(lambda: f.readline(MAX_LINE_BYTES + 1), b""), start=1):
            if len(raw) > MAX_LINE_BYTES:  # checked first: a line cut at the limit must not pass for a whole one
                raise BadInput(
                    f"{path}:{lineno}: record is over the {MAX_LINE_BYTES // (1024 * 1024)} MiB limit; "
                    "split it into smaller records"
                )
            if lineno == 1 and raw.startswith(b"\xef\xbb\xbf"):
                raw = raw[3:]  # a UTF-8 byte-order mark, as some editors and exports write
            if not raw.strip():
                continue
            try:
                rec = json.loads(raw.decode("utf-8"), parse_float=_finite_float)
            except UnicodeDecodeError:
                raise BadInput(f"{path}:{lineno}: not valid UTF-8; re-export the file as UTF-8") from None
            except json.JSONDecodeError as exc:
                raise BadInput(f"{path}:{lineno}: malformed JSON ({exc.msg} at column {exc.colno})") from None
            except OverflowError:
                raise BadInput(
                    f"{path}:{lineno}: a number is beyond the range of a 64-bit float and would be written back as "
                    "Infinity, which is not JSON; write it as a string"
                ) from None
            if _SURROGATE_ESCAPE.search(raw):
                try:
                    json.dumps(rec, ensure_ascii=False).encode("utf-8")
                except UnicodeEncodeError:
                    raise BadInput(
                        f"{path}:{lineno}: a \\u escape holds half of a character (a lone UTF-16 surrogate), "
                        "which no text can contain; fix the exporter, or remove that escape"
                    ) from None
            if not isinstance(rec, dict):
                raise BadInput(f"{path}:{lineno}: expected a JSON object per line, got {type(rec).__name__}")
            yield lineno, rec


def _job_size(batch_size: int, remaining: int | None, workers: int) -> int:
    """Records in the next job: the policy's batch size, then, towards the end of a known total on several
    workers, smaller jobs (a share of what is left), so the workers finish together: with full batches to the
    end, one worker idled for up to a batch's time (~1 s) while the other ran the last one. A smaller NER batch
    costs little per document (64 to 256 documents per batch are within a few per cent)."""
    if remaining is None or workers <= 1:
        return batch_size
    return min(batch_size, max(MIN_JOB_RECORDS, -(-remaining // (2 * workers))))


def _record_batches(
    items: Iterable[T], chars: Callable[[T], int], batch_size: int, total: int | None, workers: int
) -> Iterator[list[T]]:
    """`items` in batches of `_job_size` records and at most MAX_JOB_CHARS characters of text (a longer record
    alone: its pieces become several jobs, see `_Pieces`). Sized by records only, 32 long documents made one
    job: one worker ran it while the other idled, and the progress did not move in the meantime."""
    remaining = total
    batch: list[T] = []
    size = 0
    n = _job_size(batch_size, remaining, workers)
    for x in items:
        c = chars(x)
        if batch and size + c > MAX_JOB_CHARS:
            yield batch
            remaining = None if remaining is None else max(0, remaining - len(batch))
            batch, size, n = [], 0, _job_size(batch_size, remaining, workers)
        batch.append(x)
        size += c
        if len(batch) >= n:
            yield batch
            remaining = None if remaining is None else max(0, remaining - len(batch))
            batch, size, n = [], 0, _job_size(batch_size, remaining, workers)
    if batch:
        yield batch


def count_lines(path: Path) -> int:
    """Non-blank lines, read in pieces of at most 1 MiB: a huge line is never held whole."""
    n, blank = 0, True
    with open(path, "rb") as f:
        for piece in iter(lambda: f.readline(1 << 20), b""):
            blank = blank and not piece.strip()
            if piece.endswith(b"\n"):
                n += not blank
                blank = True
    return n + (not blank)


# ---------------------------------------------------------------------------------------------------------
# fields: dotted paths into nested records; strings, numbers, and every string inside lists/objects


def _slots(rec: dict[str, Any], path: str) -> tuple[list[tuple[Any, Any, str]], list[dict[str, Any]], str]:
    """The text leaves under `path` as (container, key, name) (`name`: the key the value comes from: its own
    in an object, the list's for a list's items, the field's for the field itself), the objects under `path`
    (their keys are scrubbed too), and a status: ok | missing | skipped."""
    if path in rec:
        parent, key = rec, path
    else:
        parent, key = rec, None
        parts = path.split(".")
        for i, p in enumerate(parts):
            if not isinstance(parent, dict) or p not in parent:
                return [], [], "missing"
            if i == len(parts) - 1:
                key = p
            else:
                parent = parent[p]
    value = parent[key]
    if value is None:
        return [], [], "missing"
    out: list[tuple[Any, Any, str]] = []
    objects: list[dict[str, Any]] = []

    def walk(container: Any, k: Any, name: str) -> None:
        v = container[k]
        if isinstance(v, str) or (isinstance(v, (int, float)) and not isinstance(v, bool)):
            out.append((container, k, name))
        elif isinstance(v, dict):
            objects.append(v)
            for kk in v:
                walk(v, kk, kk)
        elif isinstance(v, list):
            for i in range(len(v)):
                walk(v, i, name)

    walk(parent, key, key)
    if not out and not objects and isinstance(value, bool):
        return [], [], "skipped"
    return out, objects, "ok"


def _split_long(text: str) -> list[str]:
    limit = MAX_CHUNK_CHARS
    if len(text) <= limit:
        return [text]
    pieces, i = [], 0
    while i < len(text):
        j = min(i + limit, len(text))
        if j < len(text):
            window = text[i + limit // 2 : j]
            for sep in ("\n\n", "\n", ". ", " "):
                k = window.rfind(sep)
                if k >= 0:
                    j = i + limit // 2 + k + len(sep)
                    break
        pieces.append(text[i:j])
        i = j
    return pieces


# ---------------------------------------------------------------------------------------------------------
# the batch worker (same function in-process and in worker processes)

_WORKER: Scrubber | None = None


class _Pieces:
    """A batch's texts as the pieces that are scrubbed (a text longer than MAX_CHUNK_CHARS is split), grouped
    into jobs of at most MAX_JOB_CHARS characters, and the pieces' results joined back into one per text.

    A cut can fall inside an identifier ("555 594 | 3078": neither piece finds the phone number, whose digits
    went out in clear) or between a title and its name ("Dr. | Smith"). So each cut also gets a seam: the text
    around it (`_seam_chars()` on each side), scrubbed as one more piece. Near the cut the seam sees more of
    the text than either piece: its findings there are merged with the pieces' (see `_joined`)."""

    def __init__(self, texts: list[str]):
        self.texts = texts
        self.pieces: list[str] = []
        self.owners: list[int] = []  # the text each piece belongs to
        self.seams: list[tuple[int, int] | None] = []  # per piece: None, or a seam's (cut, start) in its text
        for i, t in enumerate(texts):
            parts = _split_long(t)
            for piece in parts:
                self.pieces.append(piece)
                self.owners.append(i)
                self.seams.append(None)
            cut, side = 0, _seam_chars()
            for piece in parts[:-1]:
                cut += len(piece)
                start = max(0, cut - side)
                self.pieces.append(t[start : cut + side])
                self.owners.append(i)
                self.seams.append((cut, start))

    def jobs(self) -> list[list[str]]:
        from appliance.scrub.nlp import text_chunks  # imports Presidio: not at this module's import

        return list(text_chunks(self.pieces, max(1, len(self.pieces)), MAX_JOB_CHARS))

    def join(self, results: list[TextResult], scrubber: Scrubber) -> list[TextResult]:
        if len(self.pieces) == len(self.texts):
            return results
        parts: list[list[tuple[str, TextResult]]] = [[] for _ in self.texts]
        seams: list[list[tuple[int, int, TextResult]]] = [[] for _ in self.texts]
        for piece, owner, seam, r in zip(self.pieces, self.owners, self.seams, results, strict=True):
            if seam is None:
                parts[owner].append((piece, r))
            else:
                seams[owner].append((*seam, r))
        return [_joined(p, sm, scrubber) for p, sm in zip(parts, seams, strict=True)]


def _seam_chars() -> int:
    """Characters on each side of a cut that its seam holds: far more than any identifier and its context."""
    return min(1_000, MAX_CHUNK_CHARS // 4)


def _joined(
    parts: list[tuple[str, TextResult]], seams: list[tuple[int, int, TextResult]], scrubber: Scrubber
) -> TextResult:
    """One text's result from its pieces' (in order) and its seams' (cut, start in the text, result).

    Within half a seam of its cut, the seam's findings are added to the pieces' and merged with them as in one
    text (union of overlapping spans, names joined); the pieces they touch are anonymized again, as one text
    where a finding crosses the cut. A seam whose scan ran out of time drops the record, as a piece's does.
    The residual risk and the record rules are those of the whole text: each piece alone may be under the
    policy's bound."""
    from appliance.scrub.engine import SCAN_TIME_LIMIT, _join_names, _merge, _uncovered

    findings: list[Finding] = []
    residual: list[Finding] = []
    drop = None
    edges, off = [0], 0  # the pieces' starts, and the text's end
    for src, r in parts:
        findings += [_shifted(f, off) for f in r.findings]
        residual += [_shifted(f, off) for f in r.residual]
        drop = drop or r.drop_reason
        off += len(src)
        edges.append(off)
    zone = _seam_chars() // 2
    starts = [f.start for f in findings]
    residual.sort(key=lambda f: f.start)
    residual_starts = [f.start for f in residual]
    extra: list[Finding] = []
    extra_residual: list[Finding] = []
    for cut, start, r in seams:
        if r.drop_reason == SCAN_TIME_LIMIT:
            drop = drop or r.drop_reason
        for f in r.findings:
            g = _shifted(f, start)
            if g.start < cut + zone and g.end > cut - zone and not _found(g, findings, starts):
                extra.append(g)
        for f in r.residual:
            g = _shifted(f, start)
            if g.start < cut + zone and g.end > cut - zone and not _found(g, residual, residual_starts):
                extra_residual.append(g)
    residual += extra_residual
    texts = [r.text for _, r in parts]
    if extra:
        hit = sorted({f.entity_type for f in extra if f.entity_type in scrubber.drop_entities})
        if hit and drop is None:
            drop = f"entity:{hit[0]}"
        # pieces that an added finding touches are scrubbed again; pieces that one spans form one text
        touched = {i for f in extra for i in range(bisect_left(edges, f.start + 1) - 1, bisect_left(edges, f.end))}
        joined = {bisect_left(edges, c) for f in extra for c in edges[1:-1] if f.start < c < f.end}  # piece after
        merged_all: list[Finding] = []
        texts, i, n = [], 0, len(parts)
        while i < n:
            k = i
            while k + 1 < n and k + 1 in joined:
                k += 1
            lo, hi = edges[i], edges[k + 1]
            own = findings[bisect_left(starts, lo) : bisect_left(starts, hi)]
            if not touched & set(range(i, k + 1)):
                texts += [r.text for _, r in parts[i : k + 1]]
                merged_all += own
            else:
                source = "".join(src for src, _ in parts[i : k + 1])
                local = [_shifted(f, -lo) for f in own + [f for f in extra if lo <= f.start < hi]]
                merged = _join_names(source, _merge(local))
                for f in merged:
                    f.operator = scrubber.operator_name(f.entity_type)
                texts.append(scrubber.anonymize(source, merged))
                merged_all += [_shifted(f, lo) for f in merged]
            i = k + 1
        findings = merged_all
    residual = _uncovered(residual, findings)
    keep = 1.0
    for f in residual:
        keep *= 1.0 - f.score
    risk = round(1.0 - keep, 6)
    rules = scrubber.policy.record_rules
    if drop is None and rules.max_residual_risk is not None and risk > rules.max_residual_risk:
        drop = "residual_risk"
    return TextResult("".join(texts), findings, residual, risk, drop)


def _found(f: Finding, findings: list[Finding], starts: list[int]) -> bool:
    """Whether `findings` (sorted by start; `starts` are their starts) holds one of `f`'s type and span."""
    j = bisect_left(starts, f.start)
    while j < len(findings) and findings[j].start == f.start:
        if findings[j].end == f.end and findings[j].entity_type == f.entity_type:
            return True
        j += 1
    return False


def _shifted(f: Finding, by: int) -> Finding:
    return Finding(f.entity_type, f.start + by, f.end + by, f.score, f.operator, f.recognizer)


def _process_count(
    scrubber: Scrubber, total: int | None, processes: int | None, size_bytes: int | None = None
) -> int:
    """Worker processes for a run of `total` records (`size_bytes` of input, if known): with `auto`, several
    when the input is large in records or in bytes (a dozen long documents are as much work as thousands of
    short ones), one for a small input, where forking and warming up workers cost more than they save."""
    if processes is None:
        env = os.environ.get("APPLIANCE_SCRUB_PROCESSES")
        if env:
            if not env.isdigit() or int(env) < 1:
                raise BadInput(f"APPLIANCE_SCRUB_PROCESSES must be a whole number of processes, got {env!r}")
            processes = int(env)
        else:
            p = scrubber.policy.nlp.processes
            if p == "auto":
                cores = (
                    len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
                )
                big = (
                    total is None
                    or total >= AUTO_PROCESSES_MIN_RECORDS
                    or (size_bytes or 0) >= AUTO_PROCESSES_MIN_BYTES
                )
                processes = min(cores, 4) if big else 1
            else:
                processes = int(p)
    return max(1, processes)


class _Runner:
    """Runs text batches in this process or on a pool of forked workers, in order, with bounded memory."""

    def __init__(self, scrubber: Scrubber, processes: int):
        self.scrubber = scrubber
        self.processes = processes
        self.pool: Any = None
        if processes > 1 and "fork" in multiprocessing.get_all_start_methods():
            from concurrent.futures import ProcessPoolExecutor

            global _WORKER
            _WORKER = scrubber  # inherited by the forked workers: the model is loaded once
            # Python's advice for fork without exec: what exists now (model, lexicons, patterns) is frozen
            # out of the workers' collections, which then neither traverse it nor copy its pages. The
            # executor forks its workers at the first submit; the parent unfreezes when the run ends, so a
            # long-lived caller (the TUI) still collects its garbage.
            gc.freeze()
            # An executor rather than multiprocessing.Pool: when a worker dies (the kernel's out-of-memory
            # killer, a crash in a native library), Pool starts another and the lost batch's result never
            # comes, so the scrub waited forever; the executor fails every pending batch instead.
            try:
                self.pool = ProcessPoolExecutor(
                    processes, mp_context=multiprocessing.get_context("fork"), initializer=_init_worker
                )
            except BaseException:
                gc.unfreeze()
                raise
        else:
            self.processes = 1

    def map(self, batches: Iterator[tuple[Any, list[str]]]) -> Iterator[tuple[Any, list[TextResult]]]:
        if self.pool is None:
            for meta, texts in batches:
                split = _Pieces(texts)
                yield meta, (split.join(self.scrubber.scrub_texts(split.pieces), self.scrubber) if texts else [])
            return
        window = self.processes * 3  # jobs in flight
        in_flight: deque[Any] = deque()  # submitted jobs, oldest first
        ready: deque[tuple[Any, _Pieces, list[Any]]] = deque()  # batches not yet yielded, in order
        unyielded = 0  # their jobs
        for meta, texts in batches:
            split = _Pieces(texts)
            jobs = []
            for job in split.jobs() if texts else []:
                while len(in_flight) >= window:  # a long text's jobs wait here, not all in memory at once
                    _job_result(in_flight.popleft())
                jobs.append(_submit(self.pool, job))
                in_flight.append(jobs[-1])
            ready.append((meta, split, jobs))
            unyielded += max(1, len(jobs))  # a batch without texts holds a slot too, or they would pile up
            while ready and unyielded >= window:
                batch = ready.popleft()
                unyielded -= max(1, len(batch[2]))
                yield self._collect(batch)
        while ready:
            yield self._collect(ready.popleft())

    def _collect(self, batch: tuple[Any, _Pieces, list[Any]]) -> tuple[Any, list[TextResult]]:
        meta, split, jobs = batch
        return meta, (split.join([r for job in jobs for r in _job_result(job)], self.scrubber) if jobs else [])

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True)
            self.pool = None
            gc.unfreeze()

    def terminate(self) -> None:
        """After an error or an interrupt (Ctrl-C, a cancelled TUI stage): stop the workers now. Shut down
        alone, they would first finish the batches they hold and the queued ones (~2 s at exit)."""
        if self.pool is not None:
            workers = list((getattr(self.pool, "_processes", None) or {}).values())  # no public handle (3.11)
            manager = getattr(self.pool, "_executor_manager_thread", None)
            self.pool.shutdown(wait=False, cancel_futures=True)
            for p in workers:
                p.terminate()
            # The executor's manager thread sees the workers gone and closes its wake-up pipe. If the
            # interpreter exits meanwhile, Python's own exit hook writes to that pipe as it is closed and
            # prints "OSError: Bad file descriptor" (a race in 3.11's concurrent.futures): wait for the thread.
            if manager is not None:
                manager.join(timeout=10)
            self.pool = None
            gc.unfreeze()


def _job_result(job: Any) -> list[TextResult]:
    from concurrent.futures.process import BrokenProcessPool

    try:
        return job.result()
    except BrokenProcessPool:
        raise _worker_died() from None


def _submit(pool: Any, texts: list[str]) -> Any:
    from concurrent.futures.process import BrokenProcessPool

    try:
        return pool.submit(_pool_job, texts)
    except BrokenProcessPool:  # a worker died before this job went out
        raise _worker_died() from None


def _worker_died() -> ApplianceError:
    return ApplianceError(
        "a scrub worker process stopped unexpectedly (often the system running out of memory and killing "
        "it); nothing was written. Free memory, or run with fewer processes (APPLIANCE_SCRUB_PROCESSES=1), "
        "and scrub again"
    )


def _init_worker() -> None:
    """A forked worker: Ctrl-C is the parent's to handle (it stops the pool), and freed memory is kept."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _keep_freed_memory()


def _keep_freed_memory() -> None:
    """In a worker (short-lived): keep freed memory for reuse instead of returning it to the system. The NER's
    layers allocate arrays of tens of megabytes per batch; by default glibc maps each afresh and unmaps it
    on release, so every batch pays page faults and the kernel's zeroing of those pages (up to a tenth of
    the workers' time went to the kernel). Not done in the caller's process, whose memory should shrink again."""
    import ctypes
    import ctypes.util

    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):  # not glibc: leave the allocator alone
        return
    m_trim_threshold, m_mmap_threshold = -1, -3
    mallopt(m_mmap_threshold, 64 << 20)
    mallopt(m_trim_threshold, 512 << 20)


def _pool_job(texts: list[str]) -> list[TextResult]:
    assert _WORKER is not None
    return _WORKER.scrub_texts(texts)


# ---------------------------------------------------------------------------------------------------------
# records


class _Leaf(NamedTuple):
    """A text to scrub in a record: a value (`container[key]`), or an object's key (`container` is the object).
    `analysed` is the text the engine analyses: the value after its label (`offset` characters) for a value
    from a named key, else the text itself (see `structured`). `forced`: the column rule's (entity, start, end)
    in `text`, if any."""

    field: str
    container: Any
    key: Any
    text: str
    analysed: str
    offset: int
    forced: tuple[str, int, int] | None
    is_key: bool


def _record_label(rec: dict[str, Any], lineno: int) -> str:
    rid = rec.get("id")
    return f"{rid}" if isinstance(rid, (str, int)) and not isinstance(rid, bool) else f"line {lineno}"


def scrub_records(
    scrubber: Scrubber,
    records: Iterable[tuple[int, dict[str, Any]]],
    fields: list[str],
    stats: ScrubStats,
    source: Path,
    *,
    processes: int | None = 1,
    review_limit: int = REVIEW_LIMIT,
    total: int | None = None,
) -> Iterator[dict[str, Any]]:
    """Scrub `fields` of each record; other fields pass through untouched; dropped records are left out.
    `total`: how many records to expect (if known), so the last jobs can be shared out evenly."""
    fields = list(dict.fromkeys(fields))  # a field named twice is scrubbed (and counted) once
    bs = scrubber.policy.nlp.batch_size or BATCH_SIZE

    longest = scrubber.policy.record_rules.max_field_chars

    def prepared() -> Iterator[tuple[int, dict[str, Any], list[_Leaf]]]:
        """Each record (a copy) with its text leaves: values and the keys of objects. A record that the policy's
        `max_field_chars` drops has no leaves (nothing to scrub) and is in `too_long`."""
        for lineno, rec in records:
            stats.records_in += 1
            rec = json.loads(json.dumps(rec))  # deep copy; the caller's record stays as it was
            leaves: list[_Leaf] = []
            seen: set[int] = set()  # objects under two chosen fields ("patient", "patient.address")
            for f in fields:
                slots, objects, status = _slots(rec, f)
                if status == "missing":
                    stats.fields_missing += 1
                else:
                    stats.fields_found[f] += 1
                    if status == "skipped":
                        stats.fields_skipped += 1
                for container, key, name in slots:
                    v = container[key]
                    text = v if isinstance(v, str) else str(v)
                    label, entity = structured.column(name)
                    if label is not None and structured.no_value(text):
                        continue  # "N/A", "unknown" under a label: nothing to find (the name rule would take it)
                    span = structured.column_entity(scrubber, entity, text)
                    forced = (entity, *span) if entity is not None and span is not None else None
                    if label is None:
                        leaves.append(_Leaf(f, container, key, text, text, 0, forced, False))
                    else:
                        prefix = f"{label}: "
                        leaves.append(_Leaf(f, container, key, text, prefix + text, len(prefix), forced, False))
                for obj in objects:
                    if id(obj) not in seen:
                        seen.add(id(obj))
                        leaves += [
                            _Leaf(f, obj, k, k, k, 0, None, True) for k in obj if not structured.known_column(k)
                        ]
            if longest is not None and any(len(leaf.text) > longest for leaf in leaves):
                too_long.add(id(rec))  # held by its batch until it is counted, so the id stays its own
                leaves = []
            yield lineno, rec, leaves

    def batches() -> Iterator[tuple[Any, list[str]]]:
        def chars(p: tuple[int, dict[str, Any], list[_Leaf]]) -> int:
            return sum(len(leaf.analysed) for leaf in p[2])

        for batch in _record_batches(prepared(), chars, bs, total, runner.processes):
            # a text that occurs several times in a batch (an object's keys in every record, "F", "yes") is
            # analysed once: the engine's result does not depend on the batch (batch == single)
            distinct: dict[str, int] = {}
            where = [
                (i, leaf, distinct.setdefault(leaf.analysed, len(distinct)))
                for i, (_, _, leaves) in enumerate(batch)
                for leaf in leaves
            ]
            out = [(lineno, rec) for lineno, rec, _ in batch]
            yield (out, where), list(distinct)

    too_long: set[int] = set()
    runner = _Runner(scrubber, _process_count(scrubber, None, processes) if processes != 1 else 1)
    stats.processes = runner.processes
    ok = False
    try:
        for (out, where), results in runner.map(batches()):
            dropped: dict[int, str] = {}
            renames: dict[int, tuple[dict[str, Any], dict[str, str]]] = {}  # id(object) -> (object, old -> new)
            for i, leaf, j in where:
                f, container, key, text = leaf.field, leaf.container, leaf.key, leaf.text
                if leaf.is_key:
                    stats.keys_scrubbed += 1
                    res = structured.key_result(scrubber, results[j], text)
                else:
                    stats.fields_scrubbed += 1
                    res = structured.value_result(scrubber, results[j], text, leaf.offset, leaf.forced)
                if len(leaf.analysed) > MAX_CHUNK_CHARS:
                    stats.texts_chunked += 1
                if res.drop_reason and i not in dropped:
                    dropped[i] = res.drop_reason
                if res.residual:
                    stats.residual_fields += 1
                    stats.max_residual_risk = max(stats.max_residual_risk, res.residual_risk)
                for fd in res.findings:
                    stats.entities[fd.entity_type] += 1
                    stats.operators[f"{fd.entity_type}:{fd.operator}"] += 1
                    if len(stats.review_sample) < review_limit:
                        lineno, rec = out[i]
                        stats.review_sample.append(
                            {
                                "record": _record_label(rec, lineno),
                                "field": f,
                                "entity": fd.entity_type,
                                "operator": fd.operator,
                                "score": round(fd.score, 2),
                                "value": text[fd.start : fd.end],  # raw: screen only
                                "context": text[max(0, fd.start - 30) : fd.end + 30],  # raw: screen only
                            }
                        )
                if leaf.is_key:
                    if res.text != key:
                        renames.setdefault(id(container), (container, {}))[1][key] = res.text
                    continue
                orig = container[key]
                if isinstance(orig, str):
                    container[key] = res.text
                elif res.findings:  # a number that holds an identifier becomes its scrubbed text
                    container[key] = res.text
            for obj, new in renames.values():  # after the values, which were set under the old keys
                structured.rename_keys(obj, new)
            for i, (lineno, rec) in enumerate(out):
                if id(rec) in too_long:
                    too_long.discard(id(rec))
                    dropped[i] = "max_field_chars"
                if i in dropped:
                    stats.records_dropped += 1
                    stats.dropped_reasons[dropped[i]] += 1
                    stats.dropped_lines.append(lineno)
                    continue
                stats.records_out += 1
                yield rec
        ok = True
    finally:
        if ok:
            runner.close()
        else:
            runner.terminate()


class _Completed:
    """Progress in records scrubbed (written or dropped; records read run ahead by the jobs in flight), at most
    one event per PROGRESS_INTERVAL seconds: results come a batch at a time, and a `--json` consumer does not
    need a line per record."""

    def __init__(self, stats: ScrubStats, prog: StageProgress):
        self.stats, self.prog = stats, prog
        self.before = stats.records_out + stats.records_dropped
        self.last = 0.0

    def update(self, final: bool = False) -> None:
        done = self.stats.records_out + self.stats.records_dropped - self.before
        now = time.monotonic()
        if done > self.prog.step and (final or now - self.last >= PROGRESS_INTERVAL):
            self.last = now
            self.prog.advance(done - self.prog.step, entities=sum(self.stats.entities.values()))


def scrub_jsonl(
    scrubber: Scrubber,
    src: Path,
    dst: Path,
    fields: list[str],
    sink: EventSink | None = None,
    stats: ScrubStats | None = None,
    stage: str = "scrub",
    *,
    processes: int | None = None,
) -> ScrubStats:
    """Scrub one JSONL file into `dst` (written via a temp file, renamed into place when complete)."""
    sink = sink or NullSink()
    stats = stats if stats is not None else ScrubStats()
    total = count_lines(src)
    nproc = _process_count(scrubber, total, processes, src.stat().st_size)
    t0 = time.monotonic()
    tmp = _private_name(dst, "partial")
    try:
        with open(tmp, "w", encoding="utf-8") as out, StageProgress(sink, stage, total, src.name) as prog:
            done = _Completed(stats, prog)
            records = _read_jsonl(src)
            for rec in scrub_records(scrubber, records, fields, stats, src, processes=nproc, total=total):
                out.write(json.dumps(rec, ensure_ascii=False) + "\n")
                done.update()
            done.update(final=True)
            out.flush()
            os.fsync(out.fileno())
        tmp.replace(dst)
        fsync_dir(dst.parent)  # the rename itself survives a power cut
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    stats.seconds += time.monotonic() - t0
    return stats


def scrub_csv(
    scrubber: Scrubber,
    src: Path,
    dst: Path,
    columns: list[str],
    sink: EventSink | None = None,
    stats: ScrubStats | None = None,
    stage: str = "scrub",
    *,
    processes: int | None = None,
) -> ScrubStats:
    """Scrub chosen columns of a CSV file (header row required); other columns pass through untouched. A UTF-8
    byte-order mark (as spreadsheet programs write) is kept on the output, and so is the line ending of the
    header row ("\\r\\n", "\\n" or "\\r")."""
    sink = sink or NullSink()
    stats = stats if stats is not None else ScrubStats()
    t0 = time.monotonic()
    tmp = _private_name(dst, "partial")
    try:
        with open(src, "rb") as probe:
            head = probe.read(1 << 16)
        bom = head.startswith(b"\xef\xbb\xbf")
        first_end = _LINE_END.search(head.rstrip(b"\r"))  # a last "\r" may be half of a "\r\n"
        ending = first_end.group().decode() if first_end else "\r\n"  # the input's, else the csv module's
        # a first pass counts the records (cells may hold line breaks, so lines are not records) and finds
        # malformed quoting or bad bytes before any work is done
        total = max(0, sum(1 for _ in _csv_records(src)) - 1)
        records = _csv_records(src)
        header = next(records, (1, []))[1]
        unknown = [c for c in columns if c not in header]
        if unknown:
            # header cells are not echoed: in a headerless file they are the first record's values
            raise BadInput(
                f"{src}: no column {unknown[0]!r} in the header row ({len(header)} columns); "
                "check --field and that the file has a header row"
            )
        # records are dicts by column: a name the header holds twice (often "" for trailing empty columns)
        # gets its position added, so that no column's values are lost; a chosen column must be unambiguous
        names = Counter(header)
        twice = [c for c in columns if names[c] > 1]
        if twice:
            where = [i + 1 for i, c in enumerate(header) if c == twice[0]]
            raise BadInput(
                f"{src}:1: columns {where[0]} and {where[1]} of the header row have the name chosen with --field; "
                "rename one of them"
            )
        keys = [c if names[c] == 1 else f"{c}\x00{i}" for i, c in enumerate(header)]

        def rows() -> Iterator[tuple[int, dict[str, Any]]]:
            for line, cells in records:
                if len(cells) > len(header):
                    raise BadInput(f"{src}:{line}: more cells than header columns")
                yield line, dict(zip(keys, cells + [None] * (len(header) - len(cells)), strict=True))

        nproc = _process_count(scrubber, total, processes, src.stat().st_size)
        with (
            open(tmp, "w", encoding="utf-8-sig" if bom else "utf-8", newline="") as fout,
            StageProgress(sink, stage, total, src.name) as prog,
        ):
            writer = csv.writer(fout, lineterminator=ending)
            writer.writerow(header)
            done = _Completed(stats, prog)
            for rec in scrub_records(scrubber, rows(), columns, stats, src, processes=nproc, total=total):
                writer.writerow([rec[k] for k in keys])
                done.update()
            done.update(final=True)
            fout.flush()
            os.fsync(fout.fileno())
        tmp.replace(dst)
        fsync_dir(dst.parent)  # the rename itself survives a power cut
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    stats.seconds += time.monotonic() - t0
    return stats


def _csv_records(src: Path) -> Iterator[tuple[int, list[str]]]:
    """(first line, cells) of each row of a CSV file: the header row first, then every non-blank row (as
    `csv.DictReader` skips blank ones). Strict parsing: a quote left open would otherwise run to the end of the
    file and silently swallow the records after it. A cell may hold up to MAX_LINE_BYTES, as a JSONL record may.
    Read as bytes and decoded line by line, so that bad bytes are reported on their own line."""
    if csv.field_size_limit() < MAX_LINE_BYTES:
        csv.field_size_limit(MAX_LINE_BYTES)  # the module's default, 128 KiB, is one long clinical note

    def lines(f: Any) -> Iterator[str]:
        for n, raw in enumerate(_byte_lines(f), start=1):
            if len(raw) > MAX_LINE_BYTES:
                raise BadInput(f"{src}:{n}: line is over the {MAX_LINE_BYTES // (1024 * 1024)} MiB limit; split the record")
            if n == 1 and raw.startswith(b"\xef\xbb\xbf"):
                raw = raw[3:]
            try:
                yield raw.decode("utf-8")
            except UnicodeDecodeError:
                raise BadInput(f"{src}:{n}: not valid UTF-8; re-export the file as UTF-8") from None

    with open(src, "rb") as f:
        reader = csv.reader(lines(f), strict=True)
        start, first = 1, True
        while True:
            try:
                cells = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                what = (
                    f"a cell is over the {MAX_LINE_BYTES // (1024 * 1024)} MiB limit; split it into smaller records"
                    if "field larger" in str(exc)
                    else f"malformed CSV ({exc}); check the quoting of the record that starts on this line"
                )
                raise BadInput(f"{src}:{start}: {what}") from None
            if cells or first:
                yield start, cells
            first = False
            start = reader.line_num + 1


_LINE_END = re.compile(rb"\r\n|\r|\n")


def _byte_lines(f: Any, block: int = 1 << 20) -> Iterator[bytes]:
    """The lines of a binary file with their ends, split at "\\r\\n", "\\r" or "\\n" (as text mode's universal
    newlines, which the csv module expects: some exports end lines with "\\r" alone). A line longer than
    MAX_LINE_BYTES comes out cut at about that length (the caller reports it), never held whole."""
    buf = b""
    while True:
        data = f.read(block)
        if not data:
            if buf:
                yield buf
            return
        buf += data
        pos = 0
        for m in _LINE_END.finditer(buf):
            if m.end() == len(buf) and m.group() == b"\r":
                break  # its "\n" may be the next block's first byte
            yield buf[pos : m.end()]
            pos = m.end()
        buf = buf[pos:]
        if len(buf) > MAX_LINE_BYTES:
            yield buf
            return


CANONICAL_TEXT_FIELDS = ["prompt", "response", "system"]


def dataset_text_fields(dataset: Any) -> list[str]:
    """Fields holding text in a prepared dataset's records, from its manifest ('messages[].content' → 'messages';
    every string inside a list or object field is scrubbed). Older manifests: the instruction fields."""
    declared = dataset.manifest.get("summary", {}).get("text_fields")
    if not declared:
        return list(CANONICAL_TEXT_FIELDS)
    fields = list(dict.fromkeys(f.split("[", 1)[0] for f in declared))
    return fields + [f for f in ("system",) if f not in fields]


def _scrubber_for(loaded: Any, ws: Any) -> Scrubber:
    needs_key = any(
        loaded.policy.operator(e).type in ("pseudonym", "surrogate") for e in loaded.policy.entities
    )
    return Scrubber(loaded, key=pseudonym_key(ws) if (needs_key and ws is not None) else None)


def scrub_dataset(ws: Any, dataset: Any, policy_name: str, sink: EventSink | None = None) -> Any:
    """Scrub every split of a prepared dataset into a new dataset artifact with `scrub_report.json`."""
    from appliance.audit import audit_artifact
    from appliance.policy import load_policy
    from appliance.workspace import write_json_atomic

    sink = sink or NullSink()
    loaded = load_policy(policy_name)
    scrubber = _scrubber_for(loaded, ws)
    stats = ScrubStats()
    fields = dataset_text_fields(dataset)
    config = {
        "policy": loaded.policy.name,
        "policy_version": loaded.policy.version,
        "policy_sha256": loaded.sha256,
        "policy_mode": loaded.policy.mode,
        "fields": fields,
        "nlp_model": loaded.policy.nlp.model,
    }
    with ws.new_artifact("dataset", inputs=[dataset.ref()], config=config) as b:
        counts: dict[str, int] = {}
        for split in ("train", "validation", "test"):
            src = dataset.file(f"{split}.jsonl")
            if src.exists():
                before = stats.records_out
                scrub_jsonl(
                    scrubber,
                    src,
                    b.path / f"{split}.jsonl",
                    fields,
                    sink,
                    stats,
                    f"scrub {split}",
                )
                counts[split] = stats.records_out - before  # after records a policy rule dropped
        report = {"policy": config, "source_dataset": dataset.id, **stats.as_dict()}
        write_json_atomic(b.path / "scrub_report.json", report)
        src_summary = dataset.manifest["summary"]
        b.summary = {
            "stage": "scrubbed",
            "splits": counts,
            # carried along so training and later stages know the record schema without walking lineage
            **{k: src_summary[k] for k in ("format", "text_fields") if k in src_summary},
            **stats.as_dict(),
        }
    art = ws.get("dataset", b.id)
    audit_artifact(
        ws,
        "scrub.dataset",
        art,
        {"policy": loaded.policy.name, "policy_sha256": loaded.sha256, **stats.as_dict()},
        extra={dataset.id: dataset.manifest_sha256},
    )
    art.review_sample = stats.review_sample  # type: ignore[attr-defined]  # in memory only
    return art


class ScrubResult(dict):
    """The report dict of `scrub_file`, plus `review_sample` (raw values, in memory only, not in the dict)."""

    review_sample: list[dict[str, Any]]


def _private_name(path: Path, what: str) -> Path:
    """A hidden work file beside `path`, unique to this run: two runs writing one output never share one."""
    return path.with_name(f".{path.name}.{os.getpid()}-{secrets.token_hex(4)}.{what}")


def scrub_file(
    src: Path,
    dst: Path,
    policy_name: str,
    fields: list[str] | None,
    report: Path | None,
    sink: EventSink | None = None,
    ws: Any = None,
    *,
    processes: int | None = None,
) -> dict[str, Any]:
    """`appliance scrub INPUT --out OUT`: one JSONL (or CSV) file to another, atomically, with a report.

    The returned dict is the report; its `review_sample` attribute holds a few findings with their raw
    values for the operator's screen only.
    """
    from appliance.audit import AuditLog
    from appliance.policy import load_policy
    from appliance.workspace import sha256_file, write_json_atomic

    loaded = load_policy(policy_name)
    if not src.is_file():
        raise BadInput(f"input file not found: {src}")
    chosen = bool(fields)  # named with --field (else the policy's list, meant for many kinds of files)
    fields = list(dict.fromkeys(fields or loaded.policy.fields))  # a field named twice is scrubbed once
    dst.parent.mkdir(parents=True, exist_ok=True)
    if report is not None:
        try:
            report.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise BadInput(f"cannot write the report under {report.parent}: {exc.strerror}; choose another --report") from None
    scrubber = _scrubber_for(loaded, ws)
    # Output and report are staged beside their targets and put in place only once the audit entry is written:
    # a run that fails at any step leaves the previous output and report as they were.
    staged = _private_name(dst, "scrubbed")
    staged_report = _private_name(report, "staged") if report is not None else None
    try:
        if src.suffix.lower() == ".csv":
            stats = scrub_csv(scrubber, src, staged, fields, sink, processes=processes)
        else:
            stats = scrub_jsonl(scrubber, src, staged, fields, sink, processes=processes)
        result = ScrubResult(
            {
                "policy": {
                    "name": loaded.policy.name,
                    "version": loaded.policy.version,
                    "sha256": loaded.sha256,
                    "mode": loaded.policy.mode,
                },
                "fields": fields,
                **stats.as_dict(),
            }
        )
        result.review_sample = stats.review_sample
        absent = [f for f in fields if not stats.fields_found[f]]
        if stats.records_in and absent and (chosen or len(absent) == len(fields)):
            # a mistyped --field would pass every record through unscrubbed, with a report of 0 entities; of a
            # policy's list, some fields may be absent from a file, but not all
            raise BadInput(
                f"{src}: none of its {stats.records_in} records has a value in the field {absent[0]!r}"
                + ("" if chosen else " (the policy's fields)")
                + ", so it was not scrubbed and nothing was written; check --field (patient.name reaches into an "
                "object; name a list itself, e.g. messages, to scrub every string in it)"
            )
        if staged_report is not None:
            write_json_atomic(staged_report, dict(result))
        if ws is not None:  # fail-closed: nothing unaudited is put in place
            log = AuditLog(ws.audit_dir, ws.keys_dir)
            log.record(
                "scrub.file",
                # the raw input only as a keyed HMAC, in the encrypted body: its plain hash beside the scrubbed
                # output would let a reader of the header test guesses for the placeholders
                artifacts={"output": sha256_file(staged)},
                details={"input": log.file_pseudonym(src), "policy": loaded.policy.name,
                         "policy_sha256": loaded.sha256, **stats.as_dict()},
            )  # fmt: skip
        staged.replace(dst)
        if staged_report is not None:
            staged_report.replace(report)  # type: ignore[arg-type]
            fsync_dir(report.parent)  # type: ignore[union-attr]
        fsync_dir(dst.parent)
    except BaseException:
        staged.unlink(missing_ok=True)
        if staged_report is not None:
            staged_report.unlink(missing_ok=True)
        raise
    return result
