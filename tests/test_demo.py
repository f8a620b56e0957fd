"""The demo pipeline end-to-end on the embedded SmolLM2-135M, in-process with outbound sockets blocked.

Also covers the GGUF import round-trip (the demo imports the embedded GGUF) and the CLI on the results.
"""

import json
import os
import subprocess
import sys

import pytest

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    from appliance.events import ListSink
    from appliance.pipeline import demo_config_path, run_config_file
    from appliance.workspace import Workspace

    ws = Workspace.open(tmp_path_factory.mktemp("demo") / "ws")
    sink = ListSink()
    res = run_config_file(ws, demo_config_path(), sink)
    return ws, res, sink


def test_demo_trains_evaluates_exports_and_audits(demo):
    ws, res, _ = demo
    assert res.train["method"] == "qlora" and res.train["steps"] == 24
    assert res.train["train_loss_after"] < res.train["train_loss_before"]
    ev = res.evaluation["metrics"]
    assert ev["tuned"]["perplexity"] < ev["base"]["perplexity"]
    fp32 = res.parity["parity"]["fp32"]
    assert fp32["passed"] and fp32["max_abs_decode"] < 1e-3 and fp32["greedy_agreement"] == 1.0
    assert (res.export_path / "fp32" / "model.onnx").is_file()
    # The export is the model the gates judged: the adapter is merged into the NF4-dequantized base (0.7
    # here, from bitsandbytes' bf16 CPU inference kernel in the evaluation load; 22.8 when merged into the
    # original full-precision weights).
    merge = res.parity["merge"]
    assert merge["max_abs_logit_diff"] < 2.0 and merge["top1_agreement"] > 0.95, merge
    from appliance.audit import AuditLog

    events = [r["event"] for r in AuditLog(ws.audit_dir).records()]
    assert events == [
        "model.import",
        "data.canaries_planted",
        "data.prepare",
        "scrub.dataset",
        "train.complete",
        "evaluate.complete",
        "export.onnx",
    ]
    assert res.audit_records_written == 7 and "intact" in res.audit_verified
    # Lineage through the deleted planted copy: original source -> planted copy (audited) -> prepared dataset,
    # by the raw files' keyed HMACs in the encrypted bodies (never their plain hashes in a readable header).
    log = AuditLog(ws.audit_dir, ws.keys_dir)
    planted = next(r for r in log.iter_records(decrypt=True) if r["event"] == "data.canaries_planted")
    assert planted["artifacts"] == {} and planted["details"]["planted"].startswith("hmac-sha256:")
    assert planted["details"]["planted"] == ws.get("dataset", res.dataset_prepared).manifest["inputs"][0]["sha256"]


def test_demo_ends_with_a_passing_gate_verdict_and_a_model_card(demo):
    ws, res, _ = demo
    v = res.verdict
    assert v["passed"] and v["policy"]["name"] == "hipaa" and v["failed"] == []
    rules = {r["rule"]: r for r in v["rules"]}
    assert rules["max_regression"]["metric"] == "perplexity" and rules["max_regression"]["value"] < 0
    assert rules["max_canary_emissions"]["value"] == 0
    assert rules["max_identifiers_per_1k_tokens"]["value"] <= rules["max_identifiers_per_1k_tokens"]["threshold"]
    ev = res.evaluation
    assert set(ev["baselines"]["systems"]) == {"base_zero_shot", "base_few_shot", "tuned"}
    assert ev["baselines"]["few_shot_k"] == 2 and not set(ev["baselines"]["few_shot_ids"]) & set(ev["baselines"]["record_ids"])
    leak = ev["leakage"]
    assert leak["canaries"]["count"] == 4 and leak["identifiers"]["generations"] == 8
    # The four canaries were planted in the raw data (once each) and trained on, not only measured.
    train_ids = [json.loads(line)["id"] for line in (ws.get("dataset", res.dataset_scrubbed).file("train.jsonl")
                                                      .read_text().splitlines())]  # fmt: skip
    assert 1 <= sum(i.startswith("canary-") for i in train_ids) <= 4
    card = res.model_card.read_text("utf-8")
    assert "Release gate verdict: PASS" in card and "## PII leakage and memorization" in card
    assert json.loads(res.model_card.with_suffix(".json").read_text())["gate_verdict"]["passed"] is True
    exported = (res.export_path / "model_card.md").read_text("utf-8")
    assert "Release gate verdict: PASS" in exported and "| fp32 | True |" in exported and "OVERRIDE" not in exported


def test_demo_reports_progress_with_eta(demo):
    _, _, sink = demo
    train_steps = [e for e in sink.events if e.stage == "train" and e.kind == "progress"]
    assert len(train_steps) == 24 and all(e.eta_s is not None for e in train_steps)
    assert "loss" in train_steps[-1].metrics
    assert {e.stage for e in sink.events if e.kind == "end"} >= {"train", "evaluate", "export", "scrub train"}


def test_scrubbed_data_and_workspace_records_hold_no_planted_identifiers(demo):
    from appliance.samples.generate import generate_with_pii

    ws, res, _ = demo
    _, planted = generate_with_pii(300, seed=7)
    structured = {"US_SSN", "PHONE_NUMBER", "EMAIL_ADDRESS", "MRN", "STREET_ADDRESS"}
    scrubbed = ws.get("dataset", res.dataset_scrubbed)
    text = "".join((scrubbed.path / f"{s}.jsonl").read_text("utf-8") for s in ("train", "validation", "test"))
    assert not [v for p in planted for v in p["values"] if v["type"] in structured and v["value"] in text]
    # Nothing outside the prepared (raw) dataset may hold any planted value: audit log, manifests, reports.
    values = {v["value"] for p in planted for v in p["values"] if len(v["value"]) > 6}
    prepared = ws.get("dataset", res.dataset_prepared).path
    for path in ws.root.rglob("*"):
        if path.is_file() and prepared not in path.parents and path.suffix in (".json", ".jsonl", ".md"):
            if path.parent == scrubbed.path and path.name.endswith(".jsonl"):
                continue  # scrubbed data is checked for structured identifiers above (names: scrubbing issue)
            content = path.read_text("utf-8", errors="replace")
            assert not [v for v in values if v in content], path
    from appliance.audit import AuditLog

    decrypted = json.dumps(list(AuditLog(ws.audit_dir, ws.keys_dir).iter_records(decrypt=True)))
    assert not [v for v in values if v in decrypted]


def test_gguf_import_round_trip(demo):
    """The imported safetensors weights equal the GGUF's own dequantized tensor; hashes are recorded."""
    import numpy as np
    import torch
    from gguf import GGUFReader
    from gguf.quants import dequantize
    from safetensors import safe_open

    from appliance.models import EMBEDDED_SOURCE, embedded_gguf_path
    from appliance.workspace import sha256_file

    ws, res, _ = demo
    model = ws.get("model", res.model)
    gguf_path = embedded_gguf_path()
    assert model.manifest["summary"]["source"] == EMBEDDED_SOURCE
    assert model.manifest["summary"]["source_sha256"][gguf_path.name] == sha256_file(gguf_path)
    assert "quantization_config" not in json.loads((model.path / "config.json").read_text())
    reader = GGUFReader(str(gguf_path))
    t = next(t for t in reader.tensors if t.name == "blk.0.ffn_down.weight")
    expected = torch.from_numpy(np.asarray(dequantize(t.data, t.tensor_type), dtype=np.float32))
    with safe_open(str(model.path / "model.safetensors"), "pt") as f:
        got = f.get_tensor("model.layers.0.mlp.down_proj.weight").float()
    assert torch.allclose(got, expected, atol=1e-6)
    from appliance.models import default_model

    assert default_model(ws).id == model.id  # imported once, reused


def _cli(*args, env_extra=None, timeout=600):
    env = {**os.environ, "APPLIANCE_OPERATOR": "pytest", **(env_extra or {})}
    return subprocess.run(
        [sys.executable, "-m", "appliance", *args], capture_output=True, text=True, timeout=timeout, env=env
    )


def test_cli_infer_and_audit_on_demo_results(demo):
    ws, res, _ = demo
    out = _cli("export", "verify", str(res.export_path), "--workspace", str(ws.root))
    assert out.returncode == 0 and "verified" in out.stdout, out.stdout + out.stderr
    out = _cli(
        "infer",
        str(res.export_path),
        "--prompt",
        "List the medications: metformin 500 mg daily.",
        "--max-new-tokens",
        "16",
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() and "CPUExecutionProvider" in out.stderr
    out = _cli("audit", "verify", "--workspace", str(ws.root))
    assert out.returncode == 0 and "intact" in out.stdout
    out = _cli("models", "list", "--workspace", str(ws.root))
    assert out.returncode == 0 and res.model[:12] in out.stdout
