"""QLoRA training, evaluation and ONNX export on a tiny random Llama (fast, CPU)."""

import json
from pathlib import Path

import pytest

from appliance.config import DataSection, EvaluateSection, OnnxExport, TrainSection
from tests.conftest import write_jsonl


@pytest.fixture(scope="module")
def tiny_pipeline(tmp_path_factory, tiny_model_dir, sample_records):
    """prepare → import tiny model → qlora train → evaluate → export, in one workspace (module-scoped)."""
    from appliance.data import prepare_dataset
    from appliance.evaluate import evaluate
    from appliance.export import export_onnx
    from appliance.models import import_model
    from appliance.train import train
    from appliance.workspace import Workspace

    tmp = tmp_path_factory.mktemp("pipe")
    ws = Workspace.open(tmp / "ws")
    src = write_jsonl(tmp / "notes.jsonl", sample_records[:48])
    section = DataSection.model_validate(
        {
            "source": str(src),
            "fields": {"prompt": "instruction", "response": "response"},
            "split": {"validation": 0.2},
        }
    )
    ds = prepare_dataset(ws, section, tmp)
    model = import_model(ws, tiny_model_dir)
    cfg = TrainSection.model_validate(
        {
            "method": "qlora",
            "lora": {"r": 8, "alpha": 16, "dropout": 0.0},
            "hparams": {"lr": 3e-3, "max_steps": 30, "batch_size": 8, "seq_len": 256, "warmup_ratio": 0.0},
        }
    )
    run = train(ws, ds, model, cfg)
    report = evaluate(ws, run, EvaluateSection(max_records=16))
    export_cfg = OnnxExport(precision=["fp32", "int4"], parity_prompts=3, greedy_new_tokens=8, ppl_records=4)
    # The tiny random model trains on unscrubbed data with no gates policy, so it has no passing verdict:
    # exporting it takes an operator override (audited as export.override).
    exp = export_onnx(ws, run, export_cfg, out=tmp / "bundle", override_reason="tiny random model in a unit test")
    return {
        "ws": ws,
        "ds": ds,
        "model": model,
        "run": run,
        "report": report,
        "export": exp,
        "out": tmp / "bundle",
    }


def test_qlora_step_reduces_loss_and_changes_only_lora_params(tiny_model_dir, sample_records):
    """Fixed batch, 4-bit NF4 base: the loss falls and every non-LoRA tensor stays bit-identical."""
    import torch
    from transformers import AutoTokenizer

    from appliance.data import encode_chat_example
    from appliance.train import collate
    from appliance.train.modeling import add_lora, load_base

    torch.manual_seed(0)
    cfg = TrainSection.model_validate({"method": "qlora", "lora": {"r": 8, "alpha": 16, "dropout": 0.0}})
    tok = AutoTokenizer.from_pretrained(str(tiny_model_dir))
    model = add_lora(load_base(tiny_model_dir, "qlora", "cpu"), cfg)
    import bitsandbytes as bnb

    assert any(isinstance(m, bnb.nn.Linear4bit) for m in model.modules()), "base must be 4-bit NF4"
    recs = [
        {"id": r["id"], "prompt": r["instruction"], "response": r["response"]} for r in sample_records[:4]
    ]
    batch = collate([encode_chat_example(tok, r, 256) for r in recs], tok.pad_token_id)
    frozen = {n: p.detach().clone() for n, p in model.named_parameters() if not p.requires_grad}
    lora = {n: p.detach().clone() for n, p in model.named_parameters() if p.requires_grad}
    assert lora and all("lora_" in n for n in lora)
    opt = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=1e-2)
    model.train()
    losses = []
    for _ in range(20):
        out = model(**batch)
        out.loss.backward()
        opt.step()
        opt.zero_grad()
        losses.append(out.loss.item())
    assert losses[-1] < losses[0] * 0.9, losses
    after = dict(model.named_parameters())
    assert all(torch.equal(frozen[n], after[n].detach()) for n in frozen)
    assert any(not torch.equal(lora[n], after[n].detach()) for n in lora)


def test_train_writes_adapter_only_and_loss_falls(tiny_pipeline):
    run = tiny_pipeline["run"]
    s = run.manifest["summary"]
    assert s["steps"] == 30 and s["method"] == "qlora"
    assert s["train_loss_after"] < s["train_loss_before"]
    files = set(run.manifest["files"])
    assert {"adapter/adapter_model.safetensors", "adapter/adapter_config.json", "metrics.jsonl"} <= files
    assert not [f for f in files if f.endswith("model.safetensors") and not f.startswith("adapter/")]
    steps = [json.loads(line) for line in (run.path / "metrics.jsonl").read_text().splitlines()]
    assert [m["step"] for m in steps if not m.get("eval")] == list(range(1, 31))
    assert [m["step"] for m in steps if m.get("eval")] == [30] and s["val_loss"] is not None
    assert run.manifest["inputs"][0]["id"] == tiny_pipeline["ds"].id


def test_evaluate_reports_base_and_tuned(tiny_pipeline):
    rep = tiny_pipeline["report"]
    assert rep["split"] == "validation" and rep["examples"] > 0
    assert rep["metrics"]["tuned"]["loss"] < rep["metrics"]["base"]["loss"]
    assert (tiny_pipeline["run"].path / "eval" / "report.json").is_file()


def test_kv_cache_export_parity_on_tiny_model(tiny_pipeline):
    exp = tiny_pipeline["export"]
    fp32 = json.loads((exp.path / "fp32" / "parity.json").read_text())
    assert fp32["passed"] and fp32["provider"] == "CPUExecutionProvider"
    assert fp32["max_abs_prefill"] < 1e-4 and fp32["max_abs_decode"] < 1e-4  # decode fed the exported KV cache
    assert fp32["max_abs_prefill_padded_batch"] < 1e-4 and fp32["greedy_agreement"] == 1.0
    assert abs(fp32["ppl_delta"]) < 1e-3
    int4 = json.loads((exp.path / "int4" / "parity.json").read_text())
    assert int4["perplexity_onnx"] > 0 and int4["passed"] is True
    files = set(exp.manifest["files"])
    assert {"fp32/model.onnx", "fp32/genai_config.json", "int4/model.onnx", "model_card.md", "parity.json"} <= files
    import onnx

    ops = {n.op_type for n in onnx.load(str(exp.path / "int4" / "model.onnx"), load_external_data=False).graph.node}
    assert "MatMulNBits" in ops  # int4 weight-only
    assert (tiny_pipeline["out"] / "fp32" / "model.onnx").is_file()


def test_qlora_merge_is_the_model_that_was_evaluated(tiny_pipeline):
    """The adapter is merged into the NF4-dequantized base, so the export computes what the gates judged."""
    merge = tiny_pipeline["export"].manifest["summary"]["merge"]
    # (the evaluation load uses bitsandbytes' bf16 CPU inference kernel: rounding at the 1e-3 level)
    assert merge["method"] == "qlora" and merge["max_abs_logit_diff"] < 1e-2 and merge["top1_agreement"] == 1.0


def test_onnx_generation_matches_merged_torch(tiny_pipeline):
    import torch

    from appliance.serve import OnnxGenerator
    from appliance.train import merged_model

    gen = OnnxGenerator(tiny_pipeline["out"])
    assert gen.provider == "CPUExecutionProvider" and gen.precision == "fp32"
    prompt = "Summarize: patient on metformin 500 mg."
    onnx_text = gen.generate(prompt, max_new_tokens=12)
    merged = merged_model(tiny_pipeline["ws"], tiny_pipeline["run"])
    tok = gen.tokenizer
    ids = torch.tensor([gen.prompt_ids(prompt)])
    with torch.no_grad():
        out = merged.generate(
            ids,
            attention_mask=torch.ones_like(ids),
            max_new_tokens=12,
            do_sample=False,
            eos_token_id=tok.eos_token_id,
            pad_token_id=tok.pad_token_id,
        )
    assert onnx_text == tok.decode(out[0, ids.shape[1] :], skip_special_tokens=True)
    assert "".join(gen.stream(prompt, max_new_tokens=12)) == onnx_text
    sampled = gen.generate(prompt, max_new_tokens=12, temperature=0.8)
    assert isinstance(sampled, str)


def test_triton_config_parses_and_names_the_real_graph_io(tiny_pipeline):
    import importlib.util

    import onnx
    import tritonclient
    from google.protobuf import text_format

    # Load only the generated protobuf module (the grpc package itself needs grpcio, which we do not ship).
    path = Path(tritonclient.__file__).parent / "grpc" / "model_config_pb2.py"
    spec = importlib.util.spec_from_file_location("triton_model_config_pb2", path)
    pb = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(pb)
    exp = tiny_pipeline["export"]
    for precision in ("fp32", "int4"):
        entry = exp.path / "triton" / f"model_{precision}"
        cfg = text_format.Parse((entry / "config.pbtxt").read_text(), pb.ModelConfig())
        graph = onnx.load(str(entry / "1" / "model.onnx"), load_external_data=False).graph
        assert cfg.backend == "onnxruntime" and cfg.max_batch_size > 0
        assert [i.name for i in cfg.input] == [i.name for i in graph.input]
        assert [o.name for o in cfg.output] == [o.name for o in graph.output]
        assert cfg.instance_group[0].kind == pb.ModelInstanceGroup.KIND_CPU


def test_signed_export_verifies_and_detects_a_changed_byte(tiny_pipeline, tmp_path):
    import shutil

    from appliance.audit import AuditLog
    from appliance.export import verify_export

    ws = tiny_pipeline["ws"]
    trusted = AuditLog(ws.audit_dir, ws.keys_dir).public_keys()
    assert verify_export(tiny_pipeline["out"], trusted) == []
    copy = tmp_path / "copy"
    shutil.copytree(tiny_pipeline["out"], copy)
    data = bytearray((copy / "fp32" / "model.onnx").read_bytes())
    data[len(data) // 2] ^= 0xFF
    (copy / "fp32" / "model.onnx").write_bytes(bytes(data))
    assert verify_export(copy, trusted) == ["fp32/model.onnx: sha256 differs from the signed manifest"]
    assert "not trusted" in verify_export(tiny_pipeline["out"], trusted={})[0]


def test_every_stage_is_audited_and_chain_verifies(tiny_pipeline):
    from appliance.audit import AuditLog

    log = AuditLog(tiny_pipeline["ws"].audit_dir)
    assert [r["event"] for r in log.records()] == [
        "data.prepare",
        "model.import",
        "train.complete",
        "evaluate.complete",
        "export.override",
        "export.onnx",
    ]
    assert log.verify().ok
    ws = tiny_pipeline["ws"]
    records = AuditLog(ws.audit_dir, ws.keys_dir).iter_records(decrypt=True)
    override = next(r for r in records if r["event"] == "export.override")
    assert override["details"]["reason"] == "tiny random model in a unit test"
    assert override["details"]["verdict"] == "fail" and override["details"]["failed_rules"]


def test_audit_failure_takes_the_artifact_back(tiny_pipeline, tmp_path):
    """Fail-closed: a stage whose audit record cannot be written does not leave its artifact behind."""
    from appliance.errors import AuditWriteError
    from appliance.models import import_model
    from appliance.workspace import Workspace

    ws = Workspace.open(tmp_path / "ws")
    (ws.audit_dir / "segments" / "000001.jsonl").mkdir(parents=True)
    with pytest.raises(AuditWriteError):
        import_model(ws, tiny_pipeline["model"].path)
    assert ws.list("model") == []
