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
