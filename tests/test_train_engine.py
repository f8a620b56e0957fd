"""Training engine on a tiny random Llama: every method x task trains what it should, packing is exact,
interrupted runs resume to the same result, the memory planner refuses what will not fit."""

from __future__ import annotations

import json
import random

import pytest

from appliance.config import DataSection, TrainSection
from appliance.errors import ApplianceError
from appliance.train.batching import TrainExample
from tests.conftest import write_jsonl

CLASSES = {"fever": "infection", "fracture": "injury", "cough": "infection", "sprain": "injury"}


def cls_records(n: int = 64) -> list[dict]:
    rng = random.Random(3)
    words = list(CLASSES)
    out = []
    for i in range(n):
        w = rng.choice(words)
        out.append({"id": f"c{i}", "text": f"Patient seen today with {w} for {rng.randint(1, 9)} days.",
                    "label": CLASSES[w]})  # fmt: skip
    return out


def summ_records(sample: list[dict]) -> list[dict]:
    return [{"id": r["id"], "document": r["instruction"], "summary": r["response"][:60]} for r in sample[:40]]


def inst_records(sample: list[dict]) -> list[dict]:
    return [{"id": r["id"], "prompt": r["instruction"], "response": r["response"]} for r in sample[:40]]


def cfg_of(method: str, task: str = "chat", head: str = "lm", **hp) -> TrainSection:
    lr = 2e-3 if method in ("full", "freeze") else 5e-3 if head == "sequence" else 1e-2
    return TrainSection.model_validate({
        "method": method, "task": task, "head": head, "trainable_layers": 1,
        "lora": {"r": 8, "alpha": 16, "dropout": 0.0},
        "hparams": {"lr": lr, "max_steps": 12, "batch_size": 4, "seq_len": 128, "warmup_ratio": 0.0,
                    "save_steps": 0, **hp},
    })  # fmt: skip


def encode(tiny_model_dir, cfg: TrainSection, records: list[dict], fmt: str):
    from transformers import AutoTokenizer

    from appliance.train.batching import encode_records

    tok = AutoTokenizer.from_pretrained(str(tiny_model_dir))
    labels = sorted({r["label"] for r in records}) if fmt == "classification" else None
    exs, _ = encode_records(tok, records, fmt, cfg.hparams.seq_len, None, fmt, labels, cfg.head)
    return exs, tok.pad_token_id, labels


def progress():
    from appliance.events import ListSink, StageProgress

    return StageProgress(ListSink(), "train", None)


TASK_FORMATS = {"chat": "instruction", "summarization": "summarization", "classification": "classification",
                "multitask": "mixed"}  # fmt: skip
MATRIX = [(m, t, "lm", TASK_FORMATS[t]) for m in ("qlora", "lora", "full", "freeze") for t in TASK_FORMATS] + [
    (m, "classification", "sequence", "classification") for m in ("qlora", "lora", "full", "freeze", "feature-extraction")
]


def task_examples(tiny_model_dir, cfg: TrainSection, fmt: str, sample_records: list[dict]):
    """Encoded examples for a format; "mixed" is a multi-task mixture of instruction and classification."""
    if fmt != "mixed":
        records = {"instruction": inst_records, "summarization": summ_records}.get(fmt, lambda s: cls_records())(
            sample_records
        )
        return encode(tiny_model_dir, cfg, records, fmt)
    a, pad, _ = encode(tiny_model_dir, cfg, inst_records(sample_records)[:24], "instruction")
    b, _, labels = encode(tiny_model_dir, cfg, cls_records(24), "classification")
    return a + b, pad, labels


@pytest.mark.parametrize(("method", "task", "head", "fmt"), MATRIX)
def test_method_task_trains_only_what_it_should(tiny_model_dir, sample_records, method, task, head, fmt):
    import torch

    from appliance.train.engine import evaluate_loss, fit
    from appliance.train.run import build_model

    cfg = cfg_of(method, "classification" if head == "sequence" else "chat", head, max_steps=30)
    exs, pad, labels = task_examples(tiny_model_dir, cfg, fmt, sample_records)
    weights = {"instruction": 1.0, "classification": 2.0} if fmt == "mixed" else None
    torch.manual_seed(0)
    model, head_mod, objective = build_model(tiny_model_dir, cfg, "cpu", len(labels) if labels else None)
    kind = "cls" if head == "sequence" else "lm"
    loss0 = evaluate_loss(objective, exs, kind, pad, cfg.hparams, "cpu")
    # Snapshot after a first forward: bitsandbytes repacks 4-bit weights for its CPU kernels on first use.
    before = {n: p.detach().clone() for n, p in objective.named_parameters()}
    trainable = {n for n, p in objective.named_parameters() if p.requires_grad}
    fit(objective, exs, cfg.hparams, kind=kind, pad_id=pad, device="cpu", progress=progress(), task_weights=weights)
    loss1 = evaluate_loss(objective, exs, kind, pad, cfg.hparams, "cpu")
    assert loss1["all"] < loss0["all"] * 0.99, (loss0, loss1)
    if fmt == "mixed":  # evaluated per task, and every task improved
        assert set(loss1) == {"all", "instruction", "classification"}
        assert all(loss1[t] < loss0[t] for t in ("instruction", "classification")), (loss0, loss1)
    after = dict(objective.named_parameters())
    frozen_changed = [n for n in before if n not in trainable and not torch.equal(before[n], after[n].detach())]
    assert frozen_changed == [], frozen_changed[:3]
    assert any(not torch.equal(before[n], after[n].detach()) for n in trainable)
    if method in ("qlora", "lora"):
        assert all("lora_" in n or n.startswith("head.") for n in trainable)
    elif method == "freeze":
        assert any(".layers.1." in n for n in trainable) and not any(".layers.0." in n for n in trainable)
    elif method == "feature-extraction":
        assert trainable == {"head.weight", "head.bias"}
    elif method == "full":
        assert trainable == set(before)


def test_padding_free_packing_equals_padded_batches(tiny_model_dir, sample_records):
    """Same loss and gradients with and without packing: no attention across packed examples; also with the
    row width rounded up to a multiple of 64 (what the engine does on a GPU), whose extra slots are masked."""
    import torch

    from appliance.train.batching import collate_lm
    from appliance.train.engine import GPU_PAD_MULTIPLE
    from appliance.train.run import build_model

    cfg = cfg_of("lora")
    exs, pad, _ = encode(tiny_model_dir, cfg, inst_records(sample_records), "instruction")
    batch = exs[:6]
    torch.manual_seed(0)
    _, _, objective = build_model(tiny_model_dir, cfg, "cpu", None)
    results = []
    for packing, multiple in (("none", 1), ("padding-free", 1), ("padding-free", GPU_PAD_MULTIPLE)):
        objective.zero_grad()
        t = collate_lm(batch, pad, packing, seq_len=400, pad_multiple=multiple)
        loss, n = objective(**t)
        loss.backward()
        grads = {k: p.grad.clone() for k, p in objective.named_parameters() if p.grad is not None}
        results.append((float(loss), int(n), grads, t["input_ids"].shape))
    (l0, n0, g0, s0), (l1, n1, g1, s1), (l2, n2, g2, s2) = results
    assert n0 == n1 == n2 and abs(l0 - l1) < 1e-4 * abs(l0) and abs(l0 - l2) < 1e-4 * abs(l0)
    assert s1[0] < s0[0] and s1[0] * s1[1] < s0[0] * s0[1], "packing must use fewer rows and fewer slots"
    assert s2[1] % GPU_PAD_MULTIPLE == 0 and s2[1] > s1[1] and s2[0] == s1[0]
    assert all(torch.allclose(g0[k], g1[k], atol=1e-5, rtol=1e-4) for k in g0)
    assert all(torch.allclose(g0[k], g2[k], atol=1e-5, rtol=1e-4) for k in g0)


@pytest.fixture(scope="module")
def tws(tmp_path_factory, tiny_model_dir, sample_records):
    """A workspace with the tiny model and three prepared datasets (instruction, classification, summary)."""
    from appliance.data import prepare_dataset
    from appliance.models import import_model
    from appliance.workspace import Workspace

    tmp = tmp_path_factory.mktemp("engine")
    ws = Workspace.open(tmp / "ws")
    out = {"ws": ws, "model": import_model(ws, tiny_model_dir)}
    for fmt, recs in (("instruction", inst_records(sample_records)), ("classification", cls_records()),
                      ("summarization", summ_records(sample_records))):  # fmt: skip
        src = write_jsonl(tmp / f"{fmt}.jsonl", recs)
        section = DataSection.model_validate({"source": str(src), "format": fmt, "split": {"validation": 0.2}})
        out[fmt] = prepare_dataset(ws, section, tmp)
    return out


def test_run_artifacts_hold_only_what_was_trained(tws):
    from safetensors import safe_open

    from appliance.train import train

    ws, model = tws["ws"], tws["model"]
    lora = train(ws, tws["instruction"], model, cfg_of("lora", max_steps=4))
    files = set(lora.manifest["files"])
    assert "adapter/adapter_model.safetensors" in files and not any(f.startswith("weights/") for f in files)
    frz = train(ws, tws["instruction"], model, cfg_of("freeze", max_steps=4))
    with safe_open(str(frz.path / "weights" / "trained.safetensors"), "pt") as f:
        keys = set(f.keys())
    assert keys and not any(".layers.0." in k for k in keys) and any(".layers.1." in k for k in keys)
    fe = train(ws, tws["classification"], model,
               cfg_of("feature-extraction", "classification", "sequence", max_steps=4))  # fmt: skip
    s = fe.manifest["summary"]
    assert {f for f in fe.manifest["files"] if f.startswith(("adapter/", "weights/", "head/"))} == {
        "head/head.safetensors", "head/labels.json"}  # fmt: skip
    assert s["classification"]["accuracy"] is not None and s["trainable_parameters"] == 64 * 2 + 2
    assert not (ws.root / ".checkpoints" / lora.id).exists(), "checkpoints are removed when a run completes"


def test_freeze_run_loads_evaluates_and_merges(tws):
    import torch

    from appliance.train import base_weights, load_run_model, merged_model, train

    ws = tws["ws"]
    run = train(ws, tws["instruction"], tws["model"], cfg_of("freeze", max_steps=4))
    model, tok, base, _ = load_run_model(ws, run)
    ids = torch.tensor([tok("Patient notes: fever and cough.")["input_ids"]])
    with torch.no_grad():
        tuned = model(input_ids=ids).logits
        with base_weights(model, run, base.path):
            base_logits = model(input_ids=ids).logits
        again = model(input_ids=ids).logits
        merged = merged_model(ws, run)(input_ids=ids).logits
    assert torch.equal(tuned, again), "base_weights must restore the trained tensors"
    assert not torch.allclose(tuned, base_logits)
    assert torch.allclose(tuned, merged, atol=1e-5)


def test_multitask_mixture_samples_by_weight_and_reports_each_task(tws):
    from appliance.train import train
    from appliance.train.batching import TrainExample, epoch_order

    exs = [TrainExample(str(i), [1, 2], [-100, 2], "a" if i < 30 else "b") for i in range(40)]
    order = epoch_order(exs, 7, 0, "padding-free", 4, {"a": 1.0, "b": 3.0})
    share_b = sum(exs[i].task == "b" for i in order) / len(order)
    assert 0.7 < share_b < 0.8, share_b  # 10 examples of b up-sampled to 3/4 of the epoch

    cfg = TrainSection.model_validate({
        "method": "lora", "task": "multitask", "lora": {"r": 8, "alpha": 16, "dropout": 0.0},
        "mixture": [{"dataset": tws["instruction"].id, "weight": 1.0},
                    {"dataset": tws["classification"].id, "weight": 1.0, "task": "triage"}],
        "hparams": {"lr": 3e-3, "max_steps": 6, "batch_size": 4, "seq_len": 128, "warmup_ratio": 0.0},
    })  # fmt: skip
    run = train(tws["ws"], tws["instruction"], tws["model"], cfg)
    s = run.manifest["summary"]
    assert set(s["val_loss_by_task"]) == {"instruction", "triage"}
    assert {i["id"] for i in run.manifest["inputs"]} >= {tws["instruction"].id, tws["classification"].id}


def test_task_must_match_dataset_format(tws):
    from appliance.errors import BadInput
    from appliance.train import train

    with pytest.raises(BadInput, match="classification"):
        train(tws["ws"], tws["instruction"], tws["model"], cfg_of("lora", "classification"))
    with pytest.raises(ValueError, match="feature-extraction"):
        TrainSection.model_validate({"method": "feature-extraction", "task": "chat"})


def _adapter(run) -> dict:
    from safetensors.torch import load_file

    return load_file(str(run.path / "adapter" / "adapter_model.safetensors"))


def test_interrupt_then_resume_equals_uninterrupted_run(tws, monkeypatch):
    """Stopped at a random step (the path SIGINT/SIGTERM take), the newest checkpoint corrupted, resumed:
    the adapter equals an uninterrupted run's. Dropout on, so the RNG state must be restored too."""
    import torch

    from appliance.events import ListSink
    from appliance.train import StopFlag, TrainingInterrupted, train

    ws, ds, model = tws["ws"], tws["instruction"], tws["model"]
    cfg = TrainSection.model_validate({
        "method": "qlora", "lora": {"r": 8, "alpha": 16, "dropout": 0.1},
        "hparams": {"lr": 3e-3, "max_steps": 10, "batch_size": 4, "seq_len": 128, "save_steps": 2,
                    "keep_checkpoints": 3},
    })  # fmt: skip
    whole = train(ws, ds, model, cfg)
    stop_at = random.Random().randint(5, 9)
    stop = StopFlag()
    sink = ListSink()
    import appliance.train.run as run_mod

    real_fit = run_mod.fit

    def fit_with_cancel(*a, **kw):
        kw["on_step"] = lambda rec: stop.cancel("SIGTERM") if rec["step"] == stop_at else None
        return real_fit(*a, **kw)

    with monkeypatch.context() as m:
        m.setattr(run_mod, "fit", fit_with_cancel)
        with pytest.raises(TrainingInterrupted, match="--resume run-") as exc:
            train(ws, ds, model, cfg, sink, stop=stop)
    run_id = str(exc.value).split("--resume ")[1].rstrip("`")
    ck = ws.root / ".checkpoints" / run_id
    steps = sorted(p.name for p in ck.glob("step-*"))
    assert steps[-1] == f"step-{stop_at:07d}"
    assert not (ws.root / "runs" / run_id).exists(), "an interrupted run is not a finished artifact"
    # A run recorded before hparams.precision/optimizer existed must still resume (as it was trained).
    started = json.loads((ck / "run.json").read_text())
    for k in ("precision", "optimizer"):
        del started["hparams"][k]
    (ck / "run.json").write_text(json.dumps(started))
    # Damage the newest checkpoint: resume must fall back to the one before it and say so.
    bad = ck / steps[-1] / "trainable.safetensors"
    bad.write_bytes(bad.read_bytes()[:-7] + b"garbage")
    sink2 = ListSink()
    resumed = train(ws, ds, model, cfg, sink2, resume=run_id)
    assert resumed.id == run_id and resumed.manifest["summary"]["resumed_from"] == int(steps[-2][5:])
    assert any(e.kind == "warning" and "does not match" in e.message for e in sink2.events)
    a, b = _adapter(whole), _adapter(resumed)
    assert a.keys() == b.keys()
    assert all(torch.allclose(a[k], b[k], atol=1e-6) for k in a)
    assert not ck.exists()


def test_resume_refuses_another_config_or_an_unknown_run(tws):
    from appliance.errors import BadInput
    from appliance.train import train
    from appliance.train.run import config_record

    ws, ds, model = tws["ws"], tws["instruction"], tws["model"]
    with pytest.raises(BadInput, match="no interrupted run"):
        train(ws, ds, model, cfg_of("lora"), resume="run-nope")
    ck = ws.root / ".checkpoints" / "run-other"
    ck.mkdir(parents=True)
    from appliance.train.run import Source

    saved = config_record([Source(ds, "instruction", "instruction", 1.0)], model, cfg_of("lora"), "cpu")
    saved["processes"] = 1
    (ck / "run.json").write_text(json.dumps(saved))
    with pytest.raises(BadInput, match=r"different configuration \(hparams differ\)"):
        train(ws, ds, model, cfg_of("lora", lr=1e-4), resume="run-other")


def test_simulated_oom_splits_micro_batches_and_keeps_the_result(tiny_model_dir, sample_records):
    """A GPU out-of-memory on a big micro-batch: the step is redone in halves; the global batch and
    therefore the result are unchanged."""
    import torch

    from appliance.train.engine import fit
    from appliance.train.run import build_model

    cfg = cfg_of("lora", max_steps=3, batch_size=8)
    exs, pad, _ = encode(tiny_model_dir, cfg, inst_records(sample_records), "instruction")

    def run(limit: int | None):
        torch.manual_seed(0)
        _, _, obj = build_model(tiny_model_dir, cfg, "cpu", None)
        if limit is not None:
            real = obj.forward

            def forward(**batch):
                if batch["input_ids"].numel() > limit:
                    raise torch.OutOfMemoryError("CUDA out of memory (simulated)")
                return real(**batch)

            obj.forward = forward
        res = fit(obj, exs, cfg.hparams, kind="lm", pad_id=pad, device="cuda-sim", progress=progress())
        return res, {n: p.detach().clone() for n, p in obj.named_parameters() if p.requires_grad}

    plain, p0 = run(None)
    split, p1 = run(limit=450)
    assert plain.micro_split == 1 and split.micro_split >= 2
    assert all(torch.allclose(p0[k], p1[k], atol=1e-5) for k in p0)


def test_memory_planner_refuses_a_model_that_cannot_fit(tmp_path):
    from appliance.train.memory import plan

    big = tmp_path / "llama70b"
    big.mkdir()
    (big / "config.json").write_text(json.dumps({
        "hidden_size": 8192, "num_hidden_layers": 80, "intermediate_size": 28672, "num_attention_heads": 64,
        "num_key_value_heads": 8, "vocab_size": 128256}))  # fmt: skip
    cfg = TrainSection.model_validate({"method": "lora", "hparams": {"batch_size": 8, "seq_len": 2048}})
    p = plan(big, cfg, "cuda", available=80 * 1024)
    assert not p.fits and 60e9 < p.parameters < 80e9
    assert "qlora" in p.suggestion and "gradient_checkpointing" in p.suggestion
    q = plan(big, TrainSection.model_validate({"method": "qlora", "hparams": {"batch_size": 1, "seq_len": 1024,
             "gradient_checkpointing": True}}), "cuda", available=80 * 1024)  # fmt: skip
    assert q.fits and q.weights_mb < p.weights_mb / 3


def test_memory_plan_is_calibrated_and_uses_the_data(tmp_path):
    """Measured on an H200 (bench/gpu_profile.py): QLoRA of a 24-layer 2560-wide Llama, bf16 autocast, 4 x 1024
    packed tokens (2,560 real on average) peaked at 20.0 GiB; the planner must not promise less than that for
    those tokens (the old constants said 10.9 for the full 4,096), and a known, shorter dataset must plan
    smaller than the batch_size x seq_len worst case so that it is not refused for memory it will not use."""
    from appliance.train.memory import check, plan
    from appliance.train.run import worst_micro_batch_tokens

    big = tmp_path / "llama-2.3b"
    big.mkdir()
    (big / "config.json").write_text(json.dumps({
        "hidden_size": 2560, "num_hidden_layers": 24, "intermediate_size": 6912, "num_attention_heads": 20,
        "num_key_value_heads": 4, "vocab_size": 32000}))  # fmt: skip
    cfg = TrainSection.model_validate({"method": "qlora", "hparams": {"batch_size": 4, "seq_len": 1024}})
    measured = plan(big, cfg, "cuda", available=1e9, tokens=2560)
    assert 20.0 <= measured.total_mb / 1024 <= 20.0 * 1.25, measured
    worst = plan(big, cfg, "cuda", available=1e9)
    assert worst.total_mb > measured.total_mb * 1.3
    ckpt = TrainSection.model_validate({"method": "qlora", "hparams": {"batch_size": 8, "seq_len": 2048,
                                        "gradient_checkpointing": True}})  # fmt: skip
    assert 8.4 <= plan(big, ckpt, "cuda", available=1e9, tokens=10240).total_mb / 1024 <= 8.4 * 1.3

    short = [TrainExample(str(i), [5] * n, [5] * n) for i, n in enumerate([100, 300, 250, 90, 120, 310])]
    assert worst_micro_batch_tokens(short, cfg) == 310 + 300 + 250 + 120
    padded = TrainSection.model_validate({"method": "qlora", "hparams": {"batch_size": 4, "packing": "none"}})
    assert worst_micro_batch_tokens(short, padded) == 4 * 310
    head = TrainSection.model_validate({"method": "lora", "task": "classification", "head": "sequence",
                                        "hparams": {"batch_size": 4}})  # fmt: skip
    assert worst_micro_batch_tokens(short, head) == 4 * 310  # a sequence head always pads
    room = (measured.total_mb + worst.total_mb) / 2 / 0.9  # free memory between the two plans
    with pytest.raises(ApplianceError, match="will not fit"):
        check_with(check, big, cfg, room, None)
    assert check_with(check, big, cfg, room, 2560).fits


def check_with(check, model_dir, cfg, free_mb, tokens):
    from unittest import mock

    with mock.patch("appliance.train.memory.available_mb", return_value=free_mb):
        return check(model_dir, cfg, "cuda", tokens)


def test_hpo_grid_runs_trials_prunes_and_picks_the_best(tws):
    from appliance.audit import AuditLog
    from appliance.train.hpo import search

    ws = tws["ws"]
    cfg = TrainSection.model_validate({
        "method": "lora", "lora": {"r": 4, "alpha": 8, "dropout": 0.0},
        "hparams": {"lr": 1e-3, "max_steps": 6, "eval_steps": 2, "batch_size": 4, "seq_len": 128,
                    "warmup_ratio": 0.0, "save_steps": 0},
        "hpo": {"strategy": "grid", "space": {"hparams.lr": [3e-2, 1e-7], "lora.r": [4]}, "seed": 1},
    })  # fmt: skip
    best, study = search(ws, tws["instruction"], tws["model"], cfg)
    table = json.loads((study.path / "trials.json").read_text())
    rows = table["trials"]
    assert len(rows) == 2 and {r["params"]["hparams.lr"] for r in rows} == {3e-2, 1e-7}
    assert best.manifest["config"]["hparams"]["lr"] == 3e-2, "the higher learning rate lowers validation loss"
    assert table["best"]["run"] == best.id and all(ws.get("run", r["run"]) for r in rows)
    slow = next(r for r in rows if r["params"]["hparams.lr"] == 1e-7)
    # Grid points run in order, so the slow trial comes second and is pruned at its first evaluation
    # (worse than the median of the earlier trial at that step).
    assert slow["trial"] == 1 and slow["state"] == "pruned" and slow["steps"] == 2
    assert "| trial | run | hparams.lr | lora.r |" in (study.path / "trials.md").read_text()
    assert AuditLog(ws.audit_dir).records()[-1]["event"] == "train.hpo"


def test_classification_run_evaluates_on_its_label_prompts(tws):
    from appliance.config import EvaluateSection
    from appliance.evaluate import evaluate
    from appliance.train import train

    run = train(tws["ws"], tws["classification"], tws["model"], cfg_of("lora", "classification", max_steps=6))
    assert run.manifest["config"]["labels"] == ["infection", "injury"]
    assert 0.0 <= run.manifest["summary"]["classification"]["accuracy"] <= 1.0
    rep = evaluate(tws["ws"], run, EvaluateSection(max_records=8, compare_records=4, leakage_generations=0,
                                                   canaries=0, baselines=["zero-shot"], max_new_tokens=4))  # fmt: skip
    assert rep["examples"] > 0 and rep["metrics"]["tuned"]["loss"] > 0
    tuned = rep["baselines"]["systems"]["tuned"]
    assert 0.0 <= tuned["accuracy"] <= 1.0 and "macro_f1" in tuned
    cm = rep["classification"]["tuned"]["confusion_matrix"]
    assert cm["labels"] == ["infection", "injury"] and sum(map(sum, cm["matrix"])) == 4


def test_an_evaluation_does_not_break_qlora_gradients(tiny_model_dir, sample_records):
    """bitsandbytes repacks 4-bit weights for an inference-only CPU kernel on the first eval-mode forward
    (on CPUs with AVX512-BF16); training models must keep gradients through the frozen 4-bit matmuls."""
    import torch

    from appliance.train.batching import collate_lm
    from appliance.train.engine import evaluate_loss
    from appliance.train.run import build_model

    cfg = cfg_of("qlora")
    exs, pad, _ = encode(tiny_model_dir, cfg, inst_records(sample_records), "instruction")
    torch.manual_seed(0)
    _, _, obj = build_model(tiny_model_dir, cfg, "cpu", None)
    with torch.no_grad():  # non-zero B so that gradients reach A through the whole network
        for n, p in obj.named_parameters():
            if "lora_B" in n:
                p.normal_(0, 0.02)

    def grads():
        obj.train()
        obj.zero_grad()
        loss, _n = obj(**collate_lm(exs[:4], pad, "padding-free", 128))
        loss.backward()
        return {n: p.grad.clone() for n, p in obj.named_parameters() if p.grad is not None}

    g0 = grads()
    evaluate_loss(obj, exs[:4], "lm", pad, cfg.hparams, "cpu")
    g1 = grads()
    assert all(torch.allclose(g0[k], g1[k], atol=1e-6, rtol=1e-5) for k in g0)
