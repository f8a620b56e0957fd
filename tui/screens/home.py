"""Home: workspace status, audit state, detected hardware, air-gap state and the next suggested step."""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import DataTable, Footer, Header, Label, Static

from appliance.workspace import Workspace
from tui.screens.base import StageScreen
from tui.widgets.nav import NavBar


def workspace_rows(ws: Workspace) -> list[tuple[str, str, str]]:
    """(what, count, newest id) for the home screen; cheap: reads manifests only."""
    rows = []
    for kind, label in (("dataset", "datasets"), ("model", "models"), ("run", "runs"), ("export", "exports")):
        arts = ws.list(kind)
        rows.append((label, str(len(arts)), arts[-1].id if arts else "-"))
    return rows


def next_step(ws: Workspace) -> str:
    datasets = ws.list("dataset")
    if not datasets:
        return "import and prepare a dataset: press 2 (Data)"
    if not [a for a in datasets if a.manifest["summary"].get("stage") == "scrubbed"]:
        return "scrub the prepared dataset under a policy: press 3 (Scrub)"
    if not ws.list("model"):
        return "import a base model or use the embedded one: press 4 (Models)"
    if not ws.list("run"):
        return "review and approve the scrubbed dataset (3), then train: press 5 (Train)"
    if not [r for r in ws.list("run") if (r.path / "eval" / "report.json").is_file()]:
        return "evaluate the newest run against its release gates: press 6 (Evaluate)"
    if not ws.list("export"):
        return "export the evaluated run to ONNX: press 7 (Export)"
    return "verify the audit log and export a bundle for the auditor: press 8 (Audit)"


class HomeScreen(StageScreen):
    NAME = "Home"
    HELP = """Workspace status at a glance: how many datasets, models, runs and exports exist, the audit log
state, the detected hardware (GPU, CUDA, bitsandbytes, onnxruntime providers) and whether the air-gap is
enforced. **Next** suggests the next step of the flow.

| key | action |
|---|---|
| r | refresh |
| h | detect the hardware again |
| v | verify the audit log (details on the Audit screen) |
"""
    BINDINGS = [
        Binding("r", "refresh", "Refresh"),
        Binding("h", "probe", "Hardware"),
        Binding("v", "verify", "Verify audit"),
    ]

    def compose(self) -> ComposeResult:
        yield Header()
        yield NavBar("home")
        with VerticalScroll(classes="body"):
            yield Static(id="status", classes="status-line", markup=False)
            yield DataTable(id="artifacts", cursor_type="row")
            yield Label("hardware", classes="section")
            yield DataTable(id="hardware", cursor_type="row")
            yield Static(id="next", classes="section", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#artifacts", DataTable).add_columns("artifacts", "count", "newest")
        self.query_one("#hardware", DataTable).add_columns("check", "status", "detail")
        self.refresh_data()
        if self.app.probe_hardware:  # type: ignore[attr-defined]
            # after the first paint: importing torch in a worker still holds the GIL for a while
            self.call_after_refresh(lambda: self.set_timer(0.3, self.action_probe))
        else:
            self.query_one("#hardware", DataTable).add_row("hardware", "-", "not probed yet: press h")

    def refresh_data(self) -> None:
        from appliance.offline import offline_state

        state = offline_state()
        air_gap = "enforced" if state["enforced"] else "NOT enforced in this process"
        log_state = self._audit_state()
        self.query_one("#status", Static).update(
            f"workspace: {self.ws.root}\nair-gap: {air_gap}\naudit log: {log_state}"
        )
        table = self.query_one("#artifacts", DataTable)
        table.clear()
        for row in workspace_rows(self.ws):
            table.add_row(*row)
        self.query_one("#next", Static).update(f"next: {next_step(self.ws)}")

    def _audit_state(self) -> str:
        from appliance.audit.log import AuditLog

        n = len(AuditLog(self.ws.audit_dir, self.ws.keys_dir).records())
        return f"{n} records (press v to verify)" if n else "no records yet"

    def action_refresh(self) -> None:
        self.refresh_data()

    def action_probe(self) -> None:
        table = self.query_one("#hardware", DataTable)
        table.clear()
        table.add_row("hardware", "…", "detecting (torch, bitsandbytes, onnxruntime)")

        def probe(sink: Any) -> list[Any]:
            from appliance import doctor

            checks = doctor.check_gpu(False)
            checks.append(doctor.check_bitsandbytes(False))
            checks.append(doctor.check_onnxruntime(False))
            checks.append(doctor.check_offline())
            return checks

        self.run_stage("hardware probe", probe, self._show_hardware)

    def _show_hardware(self, checks: list[Any]) -> None:
        table = self.query_one("#hardware", DataTable)
        table.clear()
        for c in checks:
            table.add_row(c.name, "ok" if c.ok else "FIX", c.detail)

    def action_verify(self) -> None:
        def verify(sink: Any) -> Any:
            from appliance.audit import AuditLog

            return AuditLog(self.ws.audit_dir, self.ws.keys_dir).verify()

        self.run_stage(
            "audit verify",
            verify,
            lambda res: self.notify(res.describe(), severity="information" if res.ok else "error"),
        )
