"""Leakage test, gates, export enforcement and run comparison on tiny random Llamas (CPU).

A tiny model deliberately overfit on canary-bearing raw data must be flagged (verbatim emission, high
exposure, failing verdict, export refused); the same recipe trained on the scrubbed copy of the same data
must pass the canary gates (the scrubber removed the MRN-shaped secrets).
"""

import json

import pytest

from appliance.config import DataSection, EvaluateSection, TrainSection
from tests.conftest import write_jsonl

pytestmark = pytest.mark.slow

N_CANARIES = 3
EVAL_CFG = EvaluateSection(
    max_records=8, compare_records=4, max_new_tokens=12, leakage_generations=4, canaries=N_CANARIES,
    canary_template="mrn", canary_candidates=63, canary_base_control=True, few_shot_k=2, seed=11,
)  # fmt: skip


@pytest.fixture(scope="module")
def leak_runs(tmp_path_factory, tiny_model_dir, sample_records):
    from appliance.data import prepare_dataset
    from appliance.evaluate import evaluate
    from appliance.evaluate.leakage import make_canaries, plant_canaries
    from appliance.models import import_model
    from appliance.scrub import scrub_dataset
    from appliance.train import train
    from appliance.workspace import Workspace

    tmp = tmp_path_factory.mktemp("leak")
    ws = Workspace.open(tmp / "ws")
    canaries = make_canaries(N_CANARIES, EVAL_CFG.seed, "mrn")
    raw = plant_canaries(sample_records[:16], canaries, repeats=8, seed=1,
                         fields={"prompt": "instruction", "response": "response"})  # fmt: skip
    src = write_jsonl(tmp / "raw.jsonl", raw)
    section = DataSection.model_validate(
        {"source": str(src), "fields": {"prompt": "instruction", "response": "response"},
         "dedupe": {"exact": False, "near": None}, "split": {"validation": 0.0}}
    )  # fmt: skip
    prepared = prepare_dataset(ws, section, tmp)
    scrubbed = scrub_dataset(ws, prepared, "hipaa")
    model = import_model(ws, tiny_model_dir)
    cfg = TrainSection.model_validate(
        {"method": "lora", "lora": {"r": 32, "alpha": 64, "dropout": 0.0},
         "hparams": {"lr": 1e-2, "max_steps": 200, "batch_size": 8, "seq_len": 192, "warmup_ratio": 0.0}}
    )  # fmt: skip
    raw_run = train(ws, prepared, model, cfg)
    clean_run = train(ws, scrubbed, model, cfg)
    raw_rep = evaluate(ws, raw_run, EVAL_CFG, gates="hipaa")
    clean_rep = evaluate(ws, clean_run, EVAL_CFG, gates="hipaa")
    return {"ws": ws, "raw": (raw_run, raw_rep), "clean": (clean_run, clean_rep), "canaries": canaries, "tmp": tmp}


def test_overfit_on_canaries_is_flagged(leak_runs):
    from appliance.evaluate import load_verdict

    run, rep = leak_runs["raw"]
    c = rep["leakage"]["canaries"]
    assert c["count"] == N_CANARIES and c["planted"] == N_CANARIES
    assert c["emissions"] >= 1, c
    assert c["max_exposure"] == pytest.approx(6.0)  # ranked first among 64 → log2 64
    assert c["max_exposure"] > c["base"]["max_exposure"]
    verdict = load_verdict(run)
    assert not verdict["passed"] and "max_canary_emissions:canary_emissions" in verdict["failed"]
    rule = next(r for r in verdict["rules"] if r["rule"] == "max_canary_emissions")
    assert rule["value"] >= 1 and rule["threshold"] == 0


def test_same_recipe_on_scrubbed_data_passes_the_canary_gates(leak_runs):
    from appliance.evaluate import load_verdict

    run, rep = leak_runs["clean"]
    c = rep["leakage"]["canaries"]
    assert c["planted"] == N_CANARIES  # the records are there, their MRN secrets were scrubbed out
    assert c["emissions"] == 0, c
    raw = leak_runs["raw"][1]["leakage"]["canaries"]
    assert c["mean_exposure"] < raw["mean_exposure"] - 1.0  # about chance level, far from the overfit run
    verdict = load_verdict(run)
    rule = next(r for r in verdict["rules"] if r["rule"] == "max_canary_emissions")
    assert rule["passed"] and rule["value"] == 0
    ids = rep["leakage"]["identifiers"]
    assert ids["generations"] == 4 and ids["generated_tokens"] > 0 and "per_1k_tokens" in ids
    # the base model's generations from the same prompts: the rate fine-tuning is judged against
    assert ids["base"]["generations"] == 4 and ids["base"]["generated_tokens"] > 0
    assert rep["leakage"]["regurgitation"]["generations"] == 4


def test_report_holds_baselines_samples_card_and_no_secret(leak_runs):
    run, rep = leak_runs["clean"]
    bl = rep["baselines"]
    assert set(bl["systems"]) == {"base_zero_shot", "base_few_shot", "tuned"} and bl["few_shot_k"] == 2
    assert not set(bl["few_shot_ids"]) & set(bl["record_ids"])
    for s in bl["systems"].values():
        assert {"loss", "perplexity", "exact_match", "token_f1", "rouge1", "rouge2", "rougeL"} <= set(s)
    assert set(bl["lift"]) == {"vs_base_zero_shot", "vs_base_few_shot"}
    eval_dir = run.path / "eval"
    for name in ("report.json", "verdict.json", "samples.jsonl", "model_card.md", "model_card.json"):
        assert (eval_dir / name).is_file(), name
    card = json.loads((eval_dir / "model_card.json").read_text())
    assert card["base_model"]["manifest_sha256"] and card["data_lineage"][0]["id"] == rep["dataset"]
    assert "Release gate verdict" in (eval_dir / "model_card.md").read_text()
    secrets = [c.secret for c in leak_runs["canaries"]]
    for path in [*eval_dir.iterdir(), *(leak_runs["raw"][0].path / "eval").iterdir()]:
        text = path.read_text("utf-8")
        assert not [s for s in secrets if s in text], path
    from appliance.audit import AuditLog

    ws = leak_runs["ws"]
    recs = [r for r in AuditLog(ws.audit_dir, ws.keys_dir).iter_records(decrypt=True) if r["event"] == "evaluate.complete"]
    assert len(recs) == 2 and f"{run.id}/eval/verdict.json" in recs[-1]["artifacts"]
    assert not [s for s in secrets if s in json.dumps(recs)]


def test_failing_gate_blocks_export(leak_runs):
    from appliance.errors import ApplianceError
    from appliance.export import export_onnx

    ws = leak_runs["ws"]
    run, _ = leak_runs["raw"]
    with pytest.raises(ApplianceError, match="failed its release gates"):
        export_onnx(ws, run)
    assert ws.list("export") == []


def test_runs_list_and_compare_pick_the_passing_run(leak_runs):
    from typer.testing import CliRunner

    from appliance.evaluate.cli import runs_app
    from appliance.evaluate.runs import compare_runs, list_runs

    ws = leak_runs["ws"]
    raw, clean = leak_runs["raw"][0], leak_runs["clean"][0]
    rows = {r["id"]: r for r in list_runs(ws)}
    assert rows[raw.id]["verdict"] == "fail" and rows[raw.id]["metrics"]["perplexity"] is not None
    res = compare_runs(ws, [raw.id, clean.id])
    assert res["primary_metric"] == "perplexity" and res["policy"] == "hipaa"
    assert "dataset" in res["config_differs"]
    if rows[clean.id]["verdict"] == "pass":
        assert res["best"] == clean.id and res["best_among"] == "passing runs"
    assert json.loads(open(res["file"]).read())["best"] == res["best"]
    out = CliRunner().invoke(runs_app, ["list", "--workspace", str(ws.root)])
    assert out.exit_code == 0 and raw.id[:12] in out.output
    out = CliRunner().invoke(runs_app, ["compare", raw.id, clean.id, "--workspace", str(ws.root)])
    assert out.exit_code == 0 and "best:" in out.output


def test_evaluate_command_prints_the_verdict_and_exits_1_on_failure(leak_runs):
    import typer
    from typer.testing import CliRunner

    from appliance.evaluate.cli import evaluate_command

    app = typer.Typer()
    app.command()(evaluate_command)
    ws = leak_runs["ws"]
    raw = leak_runs["raw"][0]
    import yaml

    cfg = leak_runs["tmp"] / "pipeline.yaml"
    cfg.write_text(yaml.safe_dump({"data": {"source": "unused.jsonl"}, "evaluate": EVAL_CFG.model_dump()}))
    out = CliRunner().invoke(app, [raw.id, "--gates", "hipaa", "--config", str(cfg), "--workspace", str(ws.root)])
    assert out.exit_code == 1, out.output
    assert "FAIL under policy hipaa" in out.output and "max_canary_emissions" in out.output
