"""Audit: verify the log (green/red), browse decrypted events with a filter, export a bundle for an auditor."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Button, DataTable, Footer, Header, Input, Label, Static

from tui.screens.base import StageScreen
from tui.widgets.nav import NavBar


def _short(v: Any) -> str:
    return str(v) if not isinstance(v, float) else f"{v:.4g}"


class AuditScreen(StageScreen):
    NAME = "Audit"
    HELP = """The audit log: every stage's record, hash-chained, encrypted and signed.

**v** verifies chain, Merkle tree, signed checkpoints and (with the passphrase) every encrypted body: green
when intact, red with the reason when not. **l** decrypts and lists the events; type in the filter to keep
the rows whose event, actor, artifacts or details contain the text. **b** exports a signed bundle with an
HTML report for an auditor (their public key file and an output file are asked for).
Same as `appliance audit verify | show | export`.

| key | action |
|---|---|
| v | verify |
| l | load (decrypt) the events |
| / | focus the filter |
| b | export a bundle |
"""
    BINDINGS = [
        Binding("v", "verify", "Verify"),
        Binding("l", "load", "Load events"),
        Binding("slash", "focus_filter", "Filter"),
        Binding("b", "bundle", "Bundle"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.records: list[dict[str, Any]] = []

    def compose(self) -> ComposeResult:
        yield Header()
        yield NavBar("audit")
        with VerticalScroll(classes="body"):
            with Horizontal(classes="row"):
                yield Button("Verify (v)", id="verify", variant="primary", compact=True)
                yield Button("Load events (l)", id="load", compact=True)
                yield Button("Export bundle (b)", id="bundle", compact=True)
            yield Static(
                "not verified in this session (press v)", id="verdict", classes="verdict", markup=False
            )
            yield Input(placeholder="filter (event, actor, artifact, detail)", compact=True, id="filter")
            yield Label("events", classes="section")
            yield DataTable(id="events", cursor_type="row")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#events", DataTable).add_columns(
            "seq", "time", "actor", "event", "artifacts", "details"
        )

    def on_button_pressed(self, event: Button.Pressed) -> None:
        {"verify": self.action_verify, "load": self.action_load, "bundle": self.action_bundle}[
            str(event.button.id)
        ]()

    def _log(self) -> Any:
        from appliance.audit import AuditLog

        return AuditLog(self.ws.audit_dir, self.ws.keys_dir)

    def action_verify(self) -> None:
        def work(sink: Any) -> Any:
            log = self._log()
            res = log.verify()
            if res.ok and log.keys_available():
                log.record(
                    "audit.verify",
                    details={"ok": True, "records": res.records, "checkpoints": res.checkpoints},
                )
            return res

        self.run_stage("audit verify", work, self._verified)

    def _verified(self, res: Any) -> None:
        box = self.query_one("#verdict", Static)
        box.update(("✔ " if res.ok else "✘ ") + res.describe())
        box.set_classes("verdict " + ("ok" if res.ok else "bad"))

    def action_load(self) -> None:
        self.run_stage(
            "audit events", lambda sink: list(self._log().iter_records(decrypt=True)), self._loaded
        )

    def _loaded(self, records: list[dict[str, Any]]) -> None:
        self.records = records
        self.fill()
        self.notify(f"{len(records)} audit records decrypted")

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id == "filter":
            self.fill()

    def fill(self) -> None:
        needle = self.query_one("#filter", Input).value.strip().lower()
        table = self.query_one("#events", DataTable)
        table.clear()
        for r in self.records:
            arts = ", ".join(f"{k}:{v[:12]}" for k, v in r["artifacts"].items())
            details = ", ".join(
                f"{k}={_short(v)}"
                for k, v in (r.get("details") or {}).items()
                if not isinstance(v, (dict, list))
            )
            row = (str(r["seq"]), r["time"][:19], r["actor"], r["event"], arts, details)
            if needle and needle not in " ".join(row).lower():
                continue
            table.add_row(*row)

    def action_focus_filter(self) -> None:
        self.query_one("#filter", Input).focus()

    def action_bundle(self) -> None:
        from tui.widgets.dialogs import FilePickerDialog, InputDialog

        def got_key(key: Path | None) -> None:
            if key is None:
                return
            self.app.push_screen(
                InputDialog(
                    "Write the bundle to (a new .tar.gz file):", str(Path.cwd() / "audit-bundle.tar.gz")
                ),
                lambda out: out and self._bundle(key, Path(out)),
            )

        self.app.push_screen(
            FilePickerDialog(self.app.start_dir, "The auditor's public key file (auditor.pub.json)"), got_key
        )  # type: ignore[attr-defined]

    def _bundle(self, key: Path, out: Path) -> None:
        def work(sink: Any) -> dict[str, Any]:
            from appliance.audit.bundle import export_bundle

            return export_bundle(self._log(), self.ws, out, key, None, None)

        self.run_stage(
            "audit bundle",
            work,
            lambda m: self.notify(
                f"bundle {out.name}: {m['records']} records, verification {'PASS' if m['verification']['ok'] else 'FAIL'}"
            ),
        )
