"""Snapshot tests (pytest-textual-snapshot) of every screen at 80x24 and 120x40.

Deterministic: a fixed, freshly created empty workspace path, a fixed operator, no hardware probe (it would
show this host's torch/CUDA versions), no clock in the header. Update with `pytest --snapshot-update`.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.tui_helpers import keep_operator_env
from tui.widgets.nav import SCREENS


@pytest.fixture(autouse=True)
def _restore_operator_env(monkeypatch):
    keep_operator_env(monkeypatch)


WS = Path("/tmp/appliance-tui-snapshots/ws")
SIZES = [(80, 24), (120, 40)]


def _app():  # noqa: ANN202
    from tui.app import ApplianceApp

    shutil.rmtree(WS.parent, ignore_errors=True)
    WS.parent.mkdir(parents=True)
    return ApplianceApp(WS, operator="operator", start_dir=WS.parent, probe_hardware=False)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("screen", [s for s in SCREENS], ids=lambda s: s[0])
def test_screen_snapshot(snap_compare, screen, size):
    name, key, _ = screen
    assert snap_compare(_app(), terminal_size=size, press=[key] if name != "home" else [])


def test_help_snapshot(snap_compare):
    assert snap_compare(_app(), terminal_size=(80, 24), press=["3", "f1"])


def test_operator_dialog_snapshot(snap_compare, monkeypatch):
    from tui.app import ApplianceApp

    shutil.rmtree(WS.parent, ignore_errors=True)
    monkeypatch.setenv("APPLIANCE_OPERATOR", "operator")
    monkeypatch.delenv("APPLIANCE_PASSPHRASE", raising=False)
    assert snap_compare(ApplianceApp(WS, probe_hardware=False), terminal_size=(80, 24))


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_review_snapshot(snap_compare, monkeypatch, size):
    """The review screen on a hand-made pair of datasets (synthetic text, fixed ids)."""
    import itertools
    import json

    import appliance.workspace as workspace

    counter = itertools.count(1)
    monkeypatch.setattr(
        workspace, "new_artifact_id", lambda kind: f"{workspace.ID_PREFIX[kind]}-snap-{next(counter)}"
    )
    app = _app()
    original = {
        "id": "r1",
        "prompt": "Jane Roe (MRN 12345678) called from 555-010-2222 on March 3, 2024.",
        "response": "Call Jane back.",
    }
    scrubbed = {"id": "r1", "prompt": "<PERSON> (MRN <MEDICAL_RECORD_NUMBER>) called from <PHONE_NUMBER> on <DATE_TIME 2024>.", "response": "Call <PERSON> back."}  # fmt: skip
    with app.ws.new_artifact("dataset") as b:
        (b.path / "train.jsonl").write_text(json.dumps(original) + "\n")
        b.summary = {"stage": "prepared", "format": "instruction", "text_fields": ["prompt", "response"]}
    prepared = app.ws.get("dataset", b.id)
    with app.ws.new_artifact("dataset", inputs=[prepared.ref()], config={"policy": "hipaa"}) as b:
        (b.path / "train.jsonl").write_text(json.dumps(scrubbed) + "\n")
        b.summary = {"stage": "scrubbed", "format": "instruction"}
    dataset = app.ws.get("dataset", b.id)

    async def open_review(pilot):  # noqa: ANN001, ANN202
        from tui.screens.review import ReviewScreen

        await pilot.app.push_screen(ReviewScreen(dataset))
        await pilot.pause()

    assert snap_compare(app, terminal_size=size, run_before=open_review)
