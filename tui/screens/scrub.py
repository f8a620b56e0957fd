"""Scrub: choose a prepared dataset and a policy, run the scrubber with progress/ETA, then review and sign off."""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Button, DataTable, Footer, Header, Label, Select, Static

from tui.screens.base import StageScreen
from tui.widgets.nav import NavBar
from tui.widgets.progress import StageProgressPanel


def policy_options(ws: Any) -> list[tuple[str, str]]:
    from appliance.policy import available_policies
    from appliance.policy.overlay import workspace_policies

    opts = [(name, name) for name in available_policies()]
    opts += [(f"{p.name} (workspace review overlay)", str(p)) for p in workspace_policies(ws)]
    return opts


def signoff_state(ws: Any) -> dict[str, Any]:
    """Latest sign-off per dataset id (decrypted from the audit log; {} without the keys)."""
    from appliance.audit import AuditLog

    if not AuditLog(ws.audit_dir, ws.keys_dir).keys_available():
        return {}
    from appliance.data.signoff import approvals

    try:
        return approvals(ws)
    except Exception:  # e.g. a wrong passphrase: the Audit screen says so
        return {}


class ScrubScreen(StageScreen):
    NAME = "Scrub"
    HELP = """Scrub PII from a prepared dataset under a policy pack (hipaa, gdpr, pci, or the workspace's
review overlay), then **review** the result and **sign it off**.

1. Choose the prepared dataset and the policy; **s** runs the scrubber (progress and ETA below).
2. The result shows entities found by type; the scrubbed datasets table lists every scrubbed dataset with
   its sign-off state.
3. **v** opens the review of the selected scrubbed dataset: each record side by side, original (on screen
   only, never written) and scrubbed, findings highlighted by type. There you can add allow/deny rules and
   approve or reject the dataset (an audited sign-off).

Rules added in review go to the workspace policy overlay `policies/<policy>.review.yaml`; choose it here and
scrub again for them to take effect. Same as `appliance scrub` and `appliance data approve`.

| key | action |
|---|---|
| s | scrub the chosen dataset |
| v | review the selected scrubbed dataset |
| r | refresh |
"""
    BINDINGS = [
        Binding("s", "scrub", "Scrub"),
        Binding("v", "review", "Review"),
        Binding("r", "refresh", "Refresh"),
    ]

    def compose(self) -> ComposeResult:
        yield Header()
        yield NavBar("scrub")
        with VerticalScroll(classes="body"):
            with Horizontal(classes="row"):
                yield Label("dataset", classes="form-label")
                yield Select([], compact=True, id="dataset", prompt="prepared dataset")
            with Horizontal(classes="row"):
                yield Label("policy", classes="form-label")
                yield Select([], compact=True, id="policy", prompt="policy")
            with Horizontal(classes="row"):
                yield Button("Scrub (s)", id="scrub", variant="primary", compact=True)
                yield Button("Review (v)", id="review", compact=True)
            yield StageProgressPanel(id="progress")
            yield Static(id="result", classes="status-line", markup=False)
            yield Label("scrubbed datasets", classes="section")
            yield DataTable(id="scrubbed", cursor_type="row")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#scrubbed", DataTable).add_columns("id", "policy", "records", "entities", "sign-off")
        self.refresh_data()

    def refresh_data(self) -> None:
        datasets = self.ws.list("dataset")
        prepared = [a for a in datasets if a.manifest["summary"].get("stage") == "prepared"]
        sel = self.query_one("#dataset", Select)
        keep = sel.value
        sel.set_options(
            [(f"{a.id} ({a.manifest['summary'].get('records', '?')} records)", a.id) for a in prepared]
        )
        if keep in [a.id for a in prepared]:
            sel.value = keep
        elif prepared:
            sel.value = prepared[-1].id
        pol = self.query_one("#policy", Select)
        keep_pol = pol.value
        opts = policy_options(self.ws)
        pol.set_options(opts)
        if keep_pol in [v for _, v in opts]:
            pol.value = keep_pol
        elif any(v == "hipaa" for _, v in opts):
            pol.value = "hipaa"
        self._fill_scrubbed(datasets)

    def _fill_scrubbed(self, datasets: list[Any]) -> None:
        approvals = signoff_state(self.ws)
        table = self.query_one("#scrubbed", DataTable)
        cursor = table.cursor_row
        table.clear()
        for a in datasets:
            s = a.manifest["summary"]
            if s.get("stage") != "scrubbed":
                continue
            signoff = approvals.get(a.id, {}).get("decision", "not reviewed")
            table.add_row(a.id, a.manifest["config"].get("policy", ""), str(s.get("records_out", "")),
                          str(s.get("entities_found", "")), signoff, key=a.id)  # fmt: skip
        if table.row_count:
            table.move_cursor(row=min(cursor, table.row_count - 1))

    def action_refresh(self) -> None:
        self.refresh_data()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "scrub":
            self.action_scrub()
        elif event.button.id == "review":
            self.action_review()

    def action_scrub(self) -> None:
        ds_id = self.query_one("#dataset", Select).value
        policy = self.query_one("#policy", Select).value
        if ds_id is Select.NULL or policy is Select.NULL:
            self.notify("choose a prepared dataset and a policy", severity="warning")
            return
        dataset = self.ws.get("dataset", str(ds_id))

        def work(sink: Any) -> Any:
            from appliance.scrub import scrub_dataset

            return scrub_dataset(self.ws, dataset, str(policy), sink)

        self.run_stage("scrub", work, self._scrubbed, panel=self.query_one("#progress", StageProgressPanel))

    def _scrubbed(self, art: Any) -> None:
        s = art.manifest["summary"]
        by_type = ", ".join(f"{k} {v}" for k, v in s["entities_by_type"].items()) or "none"
        dropped = s["records_dropped"]
        self.query_one("#result", Static).update(
            f"dataset {art.id}: {s['records_out']} records, {s['entities_found']} entities ({by_type}); "
            f"{dropped} records dropped by policy rules. Review it with v."
        )
        self.notify(f"scrubbed into {art.id}")
        table = self.query_one("#scrubbed", DataTable)
        table.move_cursor(row=table.get_row_index(art.id))

    def selected_scrubbed(self) -> str | None:
        table = self.query_one("#scrubbed", DataTable)
        if not table.row_count:
            return None
        return str(table.coordinate_to_cell_key((table.cursor_row, 0)).row_key.value)

    def action_review(self) -> None:
        ds_id = self.selected_scrubbed()
        if ds_id is None:
            self.notify("no scrubbed dataset yet: scrub one first (s)", severity="warning")
            return
        from tui.screens.review import ReviewScreen

        self.app.push_screen(ReviewScreen(self.ws.get("dataset", ds_id)), lambda _: self.refresh_data())

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        if event.data_table.id == "scrubbed":
            self.action_review()
