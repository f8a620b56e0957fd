"""Dataset artifacts: manifest + report + audit, augmentation of scrubbed data, and the `data` sub-app."""

import json

from typer.testing import CliRunner

from appliance.config import AugmentConfig, DataSection
from tests.conftest import SAMPLES, write_jsonl


def _prepare(ws, tmp_path, records, **kw):
    from appliance.data import prepare_dataset

    src = write_jsonl(tmp_path / "in.jsonl", records)
    sec = DataSection.model_validate({"source": src.name, **kw})
    return prepare_dataset(ws, sec, tmp_path)


def test_prepare_dataset_manifest_report_and_audit(ws, tmp_path):
    from appliance.audit import AuditLog
    from appliance.workspace import sha256_file

    recs = [
        {"id": f"r{i}", "text": f"sample text {i} about things", "label": "a" if i % 3 else "b"}
        for i in range(30)
    ]
    art = _prepare(ws, tmp_path, recs, format="classification", split={"validation": 0.2, "test": 0.1})
    m = art.manifest
    # the raw source by a keyed HMAC (the audit key's), stable within the workspace, never its plain SHA-256
    log = AuditLog(ws.audit_dir, ws.keys_dir)
    assert m["inputs"][0]["sha256"] == log.file_pseudonym(tmp_path / "in.jsonl") != sha256_file(tmp_path / "in.jsonl")
    assert m["inputs"][0]["sha256"].startswith("hmac-sha256:")
    assert m["config"]["format"] == "classification" and m["config"]["source"] == "in.jsonl"
    s = m["summary"]
    assert s["stage"] == "prepared" and s["format"] == "classification" and s["records"] == 30
    assert s["schema"] == "appliance.data/classification@1" and s["text_fields"] == ["text"]
    assert set(m["files"]) == {"train.jsonl", "validation.jsonl", "test.jsonl", "report.json"}
    report = json.loads((art.path / "report.json").read_text())
    assert report["labels"]["validation"] == {"a": 4, "b": 2}
    assert not list((ws.root / ".staging").iterdir())
    last = list(log.iter_records(decrypt=True))[-1]
    assert last["event"] == "data.prepare" and list(last["artifacts"]) == [art.id]
    assert last["details"]["source"] == m["inputs"][0]["sha256"]
    assert "sample text" not in json.dumps(last) and sha256_file(tmp_path / "in.jsonl") not in json.dumps(last)


def test_generated_ids_are_keyed_by_the_workspace_not_a_plain_hash_of_the_record(ws, tmp_path):
    """Ids pass unchanged through scrubbing: a plain hash of the raw record would let the holder of the scrubbed
    dataset confirm guesses of the removed values. Within a workspace the id stays stable (so do splits)."""
    import hashlib

    from appliance.workspace import Workspace

    recs = [
        {"prompt": f"What is the SSN on file for Zebulon Quartermaine {i}?", "response": f"It is 536-90-{i:04d}."}
        for i in range(12)
    ]
    split = {"validation": 0.25, "test": 0.0, "seed": 7}

    def ids(workspace, sub):
        (tmp_path / sub).mkdir()
        art = _prepare(workspace, tmp_path / sub, recs, split=split)
        return {s: [json.loads(x)["id"] for x in art.file(f"{s}.jsonl").read_text().splitlines()] for s in
                ("train", "validation")}  # fmt: skip

    first = ids(ws, "a")
    flat = first["train"] + first["validation"]
    assert len(set(flat)) == len(recs) and all(i.startswith("h-") and len(i) == 18 for i in flat)
    for rec in recs:  # the former formula, which anyone can compute from a guessed record
        plain = "h-" + hashlib.blake2b(json.dumps(rec, sort_keys=True, ensure_ascii=False).encode(),
                                       digest_size=8).hexdigest()  # fmt: skip
        assert plain not in flat
    assert ids(ws, "b") == first  # the same workspace: the same ids and splits when prepared again
    key = ws.keys_dir / "record-id.key"
    assert len(key.read_bytes()) == 32 and key.stat().st_mode & 0o777 == 0o600
    other = ids(Workspace.open(tmp_path / "ws2"), "c")
    assert not set(other["train"] + other["validation"]) & set(flat)  # another workspace's key: other ids


def test_demo_config_still_prepares_the_same_way(ws):
    from appliance.config import load_pipeline_config
    from appliance.data import prepare_dataset, read_canonical

    cfg, base = load_pipeline_config(SAMPLES / "demo.yaml")
    art = prepare_dataset(ws, cfg.data, base)
    assert art.manifest["summary"]["splits"] == {"train": 278, "validation": 22, "test": 0}
    rec = read_canonical(art.file("train.jsonl"))[0]
    assert set(rec) == {"id", "prompt", "response"}


def test_entity_swap_augmentation_only_touches_train(ws, tmp_path):
    from appliance.data import augment_dataset, dataset_format, read_canonical
    from appliance.data.augment import PLACEHOLDER

    recs = [
        {
            "id": f"n{i}",
            "prompt": f"Note {i} for <PERSON> seen <DATE_TIME 2019>, call <PHONE_NUMBER>.",
            "response": f"<PERSON> needs follow-up {i}. Patient <PERSON_3fa2c1> too.",
        }
        for i in range(20)
    ] + [{"id": "plain", "prompt": "No identifiers here at all", "response": "Fine"}]
    ds = _prepare(ws, tmp_path, recs, split={"validation": 0.3, "test": 0.2, "seed": 1})
    cfg = AugmentConfig(entity_swap=2, templates=True, seed=5)
    aug = augment_dataset(ws, ds, cfg)
    assert dataset_format(ws, aug) == "instruction"
    for split in ("validation", "test"):
        assert aug.file(f"{split}.jsonl").read_bytes() == ds.file(f"{split}.jsonl").read_bytes()
    train = read_canonical(aug.file("train.jsonl"))
    orig_train = read_canonical(ds.file("train.jsonl"))
    n_ph = sum(1 for r in orig_train if r["id"] != "plain")
    plain = 1 if any(r["id"] == "plain" for r in orig_train) else 0
    assert len(train) == 2 * n_ph + plain * 2  # placeholder records → 2 variants; plain → itself + 1 template
    ids = [r["id"] for r in train]
    assert len(set(ids)) == len(ids)
    for r in train:
        assert not PLACEHOLDER.search(r["prompt"] + r["response"]), r
    first = train[0]
    name = first["response"].split(" needs")[0]
    assert name in first["prompt"]  # the same placeholder → the same fake value within a record
    summ = aug.manifest["summary"]["augmentation"]
    assert summ["entity_swap"] == 2 and summ["placeholders_replaced"]["PERSON"] >= 2 * n_ph
    again = augment_dataset(ws, ds, cfg)
    assert again.file("train.jsonl").read_bytes() == aug.file("train.jsonl").read_bytes()  # seeded


def test_data_ingest_never_prints_the_first_row_of_a_headerless_csv(tmp_path, monkeypatch):
    """A CSV exported without a header has a record where the header should be: `data ingest` shows such cells by
    position only (table and --json), known field names and the columns named with --field by name."""
    from appliance.data.cli import data_app

    monkeypatch.setenv("APPLIANCE_HOME", str(tmp_path / "ws"))
    runner = CliRunner()
    src = tmp_path / "export.csv"
    first = ["Zebulon Quartermaine", "Patient called about SSN 536-90-4287 and card 4111111111111111", "Resolved"]
    src.write_text(",".join(first) + "\nOttoline Vanderbrook,Asked for a refill,Done\n", encoding="utf-8")
    table = runner.invoke(data_app, ["ingest", str(src)])
    as_json = runner.invoke(data_app, ["ingest", str(src), "--json"])
    for res in (table, as_json):
        assert res.exit_code == 0, res.output
        for value in ("Zebulon", "Quartermaine", "536-90-4287", "4111111111111111", "Resolved"):
            assert value not in res.output
    assert "#1 (name not shown)" in table.output and "#3 (name not shown)" in table.output
    assert "3 of 3 column names are not shown" in table.output
    out = json.loads(as_json.output)
    assert out["columns"] == [None, None, None] and out["source"]["columns"] == [None, None, None]
    assert [h["position"] for h in out["hidden_columns"]] == [1, 2, 3]
    assert out["hidden_columns"][0]["types"] == {"text": 1} and out["rows"] == 1

    named = tmp_path / "named.csv"  # a real header: known names and the columns given with --field are shown
    named.write_text("ticket_id,Customer Question,answer,Internal Notes\n1,How?,Like this.,escalate\n")
    res = runner.invoke(data_app, ["ingest", str(named), "--field", "prompt=Customer Question", "--json"])
    out = json.loads(res.output)
    assert out["columns"] == ["ticket_id", "Customer Question", "answer", None], res.output
    assert out["hidden_columns"] == [{"position": 4, "types": {"text": 1}}]
    assert out["mapping"]["prompt"] == "Customer Question" and out["mapping"]["response"] == "answer"


def test_prepared_report_of_a_csv_lists_only_the_columns_it_may_name(ws, tmp_path):
    from appliance.data import prepare_dataset

    src = tmp_path / "t.csv"
    # thirty rows: a record's split comes from a keyed hash of its id (the workspace's own key), so one row alone
    # lands outside the training split now and then ("the split left no training records")
    rows = "".join(f"How {i}?,Like this {i}.,x\n" for i in range(30))
    src.write_text("question,answer,Zebulon Quartermaine 536-90-4287\n" + rows, encoding="utf-8")
    art = prepare_dataset(ws, DataSection.model_validate({"source": src.name}), tmp_path)
    report = json.loads(art.file("report.json").read_text())
    assert report["source"]["columns"] == ["question", "answer", None]
    assert "Zebulon" not in art.file("report.json").read_text()
    # a report written by an earlier version kept the cell: `data show` does not print it
    report["source"]["columns"][2] = "Zebulon Quartermaine 536-90-4287"
    art.file("report.json").write_text(json.dumps(report))
    from appliance.data.cli import data_app

    for args in ([], ["--json"]):
        res = CliRunner().invoke(data_app, ["show", art.id, "--workspace", str(ws.root), *args])
        assert res.exit_code == 0 and "Zebulon" not in res.output, res.output
    assert '"question"' in res.output


def test_data_cli_ingest_prepare_show(tmp_path, monkeypatch):
    from appliance.data.cli import data_app

    monkeypatch.setenv("APPLIANCE_HOME", str(tmp_path / "ws"))
    runner = CliRunner()
    src = tmp_path / "tickets.csv"
    rows = ["id,subject,reply"] + [
        f"{i},How do I reset password {i}?,Use the portal link {i}." for i in range(40)
    ]
    rows.append("99,How do I reset password 1?,Use the portal link 1.")  # exact duplicate
    src.write_text("\n".join(rows) + "\n", encoding="utf-8")
    res = runner.invoke(
        data_app,
        [
            "ingest",
            str(src),
            "--field",
            "prompt=subject",
            "--field",
            "response=reply",
            "--write-config",
            str(tmp_path / "cfg.yaml"),
        ],
    )
    assert res.exit_code == 0, res.output
    assert "prompt" in res.output and "subject" in res.output and "41" in res.output
    assert "reset password" not in res.output  # values are never shown
    cfg = (tmp_path / "cfg.yaml").read_text()
    assert "subject" in cfg
    res = runner.invoke(data_app, ["prepare", "--config", str(tmp_path / "cfg.yaml"), "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.output[res.output.index("{") :])
    assert out["report"]["counts"]["dropped_by_reason"] == {"exact_duplicate": 1}
    ds_id = out["id"]
    res = runner.invoke(data_app, ["show", ds_id])
    assert res.exit_code == 0, res.output
    for frag in ("records at each step", "dedupe_exact", "missing values", "token lengths", "│", "█"):
        assert frag in res.output, frag
    assert "reset password" not in res.output
