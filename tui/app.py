"""ApplianceApp: the home screen with workspace status and the air-gap state.

The TUI issue adds a screen per stage; each screen calls the same `appliance` entry points as the CLI.
Heavy libraries are never imported on this screen, so it paints fast.
"""

from __future__ import annotations

from pathlib import Path

from textual.app import App, ComposeResult
from textual.containers import Vertical
from textual.widgets import DataTable, Footer, Header, Static

from appliance.workspace import Workspace


def workspace_rows(ws: Workspace) -> list[tuple[str, str, str]]:
    """(what, count, newest id) for the home screen; cheap: reads manifests only."""
    rows = []
    for kind, label in (("dataset", "datasets"), ("model", "models"), ("run", "runs"), ("export", "exports")):
        arts = ws.list(kind)
        rows.append((label, str(len(arts)), arts[-1].id if arts else "-"))
    return rows


def next_step(ws: Workspace) -> str:
    if not ws.list("dataset"):
        return "prepare a dataset: appliance data prepare --config FILE (or run `appliance demo`)"
    if not [a for a in ws.list("dataset") if a.manifest["summary"].get("stage") == "scrubbed"]:
        return "scrub the dataset under a policy"
    if not ws.list("run"):
        return "train: appliance train --config FILE"
    if not ws.list("export"):
        return "evaluate and export the newest run"
    return "verify the audit log: appliance audit verify"


class ApplianceApp(App):
    TITLE = "Compliance Appliance"
    BINDINGS = [("q", "quit", "Quit"), ("r", "refresh", "Refresh"), ("v", "verify", "Verify audit")]
    CSS = """
    #status { height: auto; padding: 0 1; }
    #next { padding: 1 1; color: $accent; }
    """

    def __init__(self, workspace: Path | None = None):
        super().__init__()
        self.ws = Workspace.open(workspace)

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical():
            yield Static(id="status")
            yield DataTable(id="artifacts")
            yield Static(id="next")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one("#artifacts", DataTable)
        table.add_columns("artifacts", "count", "newest")
        self.action_refresh()

    def action_refresh(self) -> None:
        from appliance.offline import offline_state

        state = offline_state()
        air_gap = "enforced" if state["enforced"] else "not enforced in this process"
        self.query_one("#status", Static).update(f"workspace: {self.ws.root}\nair-gap: {air_gap}")
        table = self.query_one("#artifacts", DataTable)
        table.clear()
        for row in workspace_rows(self.ws):
            table.add_row(*row)
        self.query_one("#next", Static).update(f"next: {next_step(self.ws)}")

    def action_verify(self) -> None:
        from appliance.audit import AuditLog

        res = AuditLog(self.ws.audit_dir).verify()
        self.notify(res.describe(), severity="information" if res.ok else "error")
