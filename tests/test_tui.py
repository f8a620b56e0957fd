"""TUI basics: home screen, operator sign-in, navigation, command palette, help, error dialogs."""

import asyncio
import os

import pytest

from tests.tui_helpers import keep_operator_env, key, text_of, until


@pytest.fixture(autouse=True)
def _restore_operator_env(monkeypatch):
    keep_operator_env(monkeypatch)


def test_home_screen_shows_workspace_and_next_step(tmp_path):
    from tui.app import ApplianceApp

    async def drive():
        app = ApplianceApp(tmp_path / "ws", operator="pytest", probe_hardware=False)
        async with app.run_test(size=(80, 24)) as pilot:
            table = app.screen.query_one("#artifacts")
            assert table.row_count == 4
            assert "prepare a dataset" in text_of(app.screen.query_one("#next"))
            await key(pilot, "v")
            await until(pilot, lambda: app._notifications, what="verify")
            return [str(n.message) for n in app._notifications]

    messages = asyncio.run(drive())
    assert any("audit log intact" in m for m in messages)


def test_operator_sign_in_goes_into_audit_records(tmp_path, monkeypatch):
    from appliance.audit import AuditLog
    from tui.app import ApplianceApp
    from tui.widgets.dialogs import OperatorDialog

    monkeypatch.setenv("APPLIANCE_OPERATOR", "os-user")
    monkeypatch.delenv("APPLIANCE_PASSPHRASE")
    src = tmp_path / "tiny.jsonl"
    src.write_text("".join(f'{{"prompt": "question {i}?", "response": "answer {i}"}}\n' for i in range(12)))

    async def drive():
        app = ApplianceApp(tmp_path / "ws", start_dir=tmp_path, probe_hardware=False)
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.pause()
            dialog = app.screen
            assert isinstance(dialog, OperatorDialog)
            assert (
                dialog.query_one("#operator").value == "os-user"
            )  # the default: APPLIANCE_OPERATOR / OS user
            dialog.query_one("#operator").value = "alice"
            dialog.query_one("#passphrase").value = "s3cret-pass"
            await pilot.click("#start")
            await pilot.pause()
            assert app.operator == "alice" and "alice" in app.sub_title
            await key(pilot, "2")
            app.screen.analyse(src)
            await until(pilot, lambda: app.screen.survey is not None, what="ingest")
            await key(pilot, "p")
            await until(pilot, lambda: app.ws.list("dataset"), what="prepare")

    asyncio.run(drive())
    assert os.environ["APPLIANCE_OPERATOR"] == "alice"
    (rec,) = [
        r
        for r in AuditLog(tmp_path / "ws" / "audit").iter_records(decrypt=True)
        if r["event"] == "data.prepare"
    ]
    assert rec["actor"] == "alice"


def test_every_screen_by_key_palette_and_help(tmp_path):
    from tui.app import ApplianceApp
    from tui.widgets.dialogs import HelpScreen
    from tui.widgets.nav import SCREENS

    async def drive():
        app = ApplianceApp(tmp_path / "ws", operator="pytest", probe_hardware=False)
        async with app.run_test(size=(80, 24)) as pilot:
            for name, k, label in SCREENS:
                await key(pilot, k)
                assert app.current_mode == name
                await key(pilot, "f1")
                assert isinstance(app.screen, HelpScreen) and app.screen.title_text == label
                await pilot.press("escape")
            await key(pilot, "ctrl+p")
            await pilot.press(*"go to audit")
            await pilot.pause(0.5)
            await pilot.press("enter")
            await until(pilot, lambda: app.current_mode == "audit", what="palette")

    asyncio.run(drive())


def test_a_failing_stage_opens_an_error_dialog_without_data(tmp_path):
    from tui.app import ApplianceApp
    from tui.widgets.dialogs import ErrorDialog

    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"prompt": "Patient John Q. Example", "response": 1}\nnot json\n')

    async def drive():
        app = ApplianceApp(tmp_path / "ws", operator="pytest", start_dir=tmp_path, probe_hardware=False)
        async with app.run_test(size=(80, 24)) as pilot:
            await key(pilot, "2")
            data = app.screen
            data.analyse(bad)
            await until(
                pilot,
                lambda: isinstance(app.screen, ErrorDialog) or data.survey is not None,
                what="ingest",
                errors_ok=True,
            )
            if isinstance(app.screen, ErrorDialog):
                return app.screen.message
            await key(pilot, "p")
            await until(
                pilot, lambda: isinstance(app.screen, ErrorDialog), what="error dialog", errors_ok=True
            )
            return app.screen.message

    message = asyncio.run(drive())
    assert "John" not in message and "must be text" in message


def test_form_follows_the_train_section_literals():
    from typing import get_args

    from appliance.config import TrainSection
    from tui.widgets.form import _literal_values

    methods = _literal_values(TrainSection.model_fields["method"].annotation)
    assert methods == list(get_args(TrainSection.model_fields["method"].annotation))


def test_letter_keys_work_on_arrival_and_after_leaving_a_field(tmp_path):
    from textual.widgets import Input, Select

    from tui.app import ApplianceApp
    from tui.widgets.dialogs import FilePickerDialog

    async def drive():
        app = ApplianceApp(tmp_path / "ws", operator="pytest", start_dir=tmp_path, probe_hardware=False)
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.press("2")
            await pilot.pause()
            assert not isinstance(app.focused, (Input, Select))
            await pilot.press("o")
            await pilot.pause()
            assert isinstance(app.screen, FilePickerDialog)
            await pilot.press("escape")
            await pilot.pause()
            app.screen.query_one("#split-test").focus()
            await pilot.press("3", "escape", "3")  # typed into the field, then leaves it and switches screen
            await pilot.pause()
            assert app.current_mode == "scrub"

    asyncio.run(drive())


def test_hardware_probe_fills_the_home_screen_after_first_paint(tmp_path):
    from tests.tui_helpers import table_rows
    from tui.app import ApplianceApp

    async def drive():
        app = ApplianceApp(tmp_path / "ws", operator="pytest")
        async with app.run_test(size=(120, 40)) as pilot:
            table = app.screen.query_one("#hardware")
            assert "detecting" not in str(table_rows(table))  # not started before the first paint
            await until(pilot, lambda: any(r[0] == "cuda (torch)" for r in table_rows(table)), what="probe")
            return [r[0] for r in table_rows(table)]

    names = asyncio.run(drive())
    assert (
        "gpu driver" in names and "cuda (torch)" in names and len(names) == 5
    )  # + bnb, onnxruntime, offline
