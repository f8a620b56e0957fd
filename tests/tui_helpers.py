"""Helpers for driving the TUI with the Pilot."""

from __future__ import annotations

import time
from typing import Any


async def until(
    pilot: Any, cond: Any, timeout: float = 180.0, what: str = "", errors_ok: bool = False
) -> None:
    """Wait (letting the app run) until `cond()` is true; fail fast on an error dialog."""
    from tui.widgets.dialogs import ErrorDialog

    t0 = time.monotonic()
    while True:
        screen = pilot.app.screen
        if isinstance(screen, ErrorDialog) and not errors_ok:
            raise AssertionError(
                f"error dialog while waiting for {what}: {screen.title_text}: {screen.message}"
            )
        if cond():
            return
        if time.monotonic() - t0 > timeout:
            raise AssertionError(f"timed out waiting for {what}")
        await pilot.pause(0.1)


async def key(pilot: Any, *keys: str) -> None:
    """Press keys as an operator would after leaving any text field (bindings, not typing)."""
    for k in keys:
        pilot.app.screen.set_focus(None)
        await pilot.press(k)
        await pilot.pause()


def text_of(widget: Any) -> str:
    """The text a widget shows (its rendered lines when it holds a renderable that is not plain text)."""
    r = widget.render()
    if hasattr(r, "plain"):
        return r.plain
    from textual.geometry import Region

    lines = widget.render_lines(Region(0, 0, widget.size.width, widget.size.height))
    return "\n".join(line.text for line in lines)


def table_rows(table: Any) -> list[list[str]]:
    return [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]


def keep_operator_env(monkeypatch: Any) -> None:
    """The TUI sets APPLIANCE_OPERATOR (and the passphrase) in os.environ, as the CLI reads them; restore after."""
    import os

    for name in ("APPLIANCE_OPERATOR", "APPLIANCE_PASSPHRASE"):
        if name in os.environ:
            monkeypatch.setenv(name, os.environ[name])
        else:
            monkeypatch.delenv(name, raising=False)
