"""Data: pick a file, check the proposed column mapping and format, prepare it, read the quality report."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Button, DataTable, Footer, Header, Input, Label, Select, Static

from tui.screens.base import StageScreen
from tui.widgets.dialogs import FilePickerDialog
from tui.widgets.nav import NavBar
from tui.widgets.progress import StageProgressPanel

NONE = "(none)"


class DataScreen(StageScreen):
    NAME = "Data"
    HELP = """Import a raw dataset (JSONL, CSV/TSV or Parquet) into the workspace as a *prepared* dataset:
cleaned, validated for its task format, de-duplicated and split, with a quality report.

1. **o** opens the file picker; the file is analysed (nothing is written) and a format and column mapping
   are proposed.
2. Check the **format** and map each canonical field (prompt, response, …) to a column.
3. **p** prepares it (progress and ETA below); the quality report appears when it is done.

The datasets table lists every dataset in the workspace; select one to read its report.
Same as `appliance data ingest FILE` and `appliance data prepare --config FILE`.

| key | action |
|---|---|
| o | open a file |
| p | prepare the dataset |
| r | refresh |
"""
    BINDINGS = [
        Binding("o", "open", "Open file"),
        Binding("p", "prepare", "Prepare"),
        Binding("r", "refresh", "Refresh"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.source: Path | None = None
        self.survey: dict[str, Any] | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        yield NavBar("data")
        with VerticalScroll(classes="body"):
            with Horizontal(classes="row"):
                yield Button("Open file (o)", id="open", compact=True)
                yield Button("Prepare (p)", id="prepare", variant="primary", disabled=True, compact=True)
            yield Static("no file chosen", id="source", classes="status-line", markup=False)
            with Horizontal(classes="row"):
                yield Label("format", classes="form-label")
                yield Select([], compact=True, id="format", allow_blank=True, prompt="format")
            yield Static(id="mapping-title", classes="hint", markup=False)
            yield VerticalScroll(id="mapping", classes="model-form")
            with Horizontal(classes="row"):
                yield Label("validation", classes="form-label")
                yield Input("0.1", type="number", compact=True, id="split-validation")
                yield Label("test", classes="form-label")
                yield Input("0.1", type="number", compact=True, id="split-test")
            yield StageProgressPanel(id="progress")
            yield Label("datasets", classes="section")
            yield DataTable(id="datasets", cursor_type="row")
            yield Static(id="report")
        yield Footer()

    def on_mount(self) -> None:
        from appliance.config import DATA_FORMATS

        self.query_one("#format", Select).set_options([(f, f) for f in DATA_FORMATS])
        self.query_one("#datasets", DataTable).add_columns("id", "stage", "format", "records", "created")
        self.query_one("#mapping").styles.height = "auto"
        self.refresh_data()

    def refresh_data(self) -> None:
        table = self.query_one("#datasets", DataTable)
        table.clear()
        for a in self.ws.list("dataset"):
            s = a.manifest["summary"]
            records = s.get("records", s.get("records_out", ""))
            table.add_row(
                a.id,
                s.get("stage", ""),
                s.get("format", ""),
                str(records),
                a.manifest["created"][:19],
                key=a.id,
            )

    def action_refresh(self) -> None:
        self.refresh_data()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "open":
            self.action_open()
        elif event.button.id == "prepare":
            self.action_prepare()

    def action_open(self) -> None:
        self.app.push_screen(
            FilePickerDialog(self.app.start_dir, "Dataset file (JSONL, CSV/TSV, Parquet)"),  # type: ignore[attr-defined]
            self.analyse,
        )

    def analyse(self, path: Path | None, fmt: str | None = None) -> None:
        if path is None:
            return
        self.source = path

        def work(sink: Any) -> dict[str, Any]:
            from appliance.data import ingest

            return ingest(path, fmt)

        self.query_one("#source", Static).update(f"analysing {path.name}…")
        self.run_stage("analyse", work, self._show_survey)

    def _show_survey(self, res: dict[str, Any]) -> None:
        self.survey = res
        s = res["source"]
        problems = ", ".join(f"{k} {v}" for k, v in res["profile_problems"].items()) or "none"
        self.query_one("#source", Static).update(
            f"{s['name']}: {s['type']}, {res['rows']:,} {res['rows_counted_as']}, {len(res['columns'])} columns; "
            f"problems in the first rows: {problems}"
        )
        fmt = self.query_one("#format", Select)
        with fmt.prevent(Select.Changed):
            fmt.value = res["format"]
        box = self.query_one("#mapping", VerticalScroll)
        box.remove_children()
        options = [(NONE, NONE)] + [(c, c) for c in res["columns"]]
        rows = []
        for canonical, column in res["mapping"].items():
            value = column if isinstance(column, str) and column in res["columns"] else NONE
            rows.append(
                Horizontal(
                    Label(canonical, classes="form-label"),
                    Select(options, value=value, allow_blank=False, compact=True, id=f"map-{canonical}"),
                    classes="form-row",
                )
            )
        box.mount_all(rows)
        missing = res["unmapped_required"]
        self.query_one("#mapping-title", Static).update(
            "column mapping (canonical field → column)"
            + (f"; no column found for: {', '.join(missing)}" if missing else "")
        )
        self.query_one("#prepare", Button).disabled = False

    def on_select_changed(self, event: Select.Changed) -> None:
        if event.select.id == "format" and self.source is not None and self.survey is not None:
            if event.value is not Select.NULL and event.value != self.survey["format"]:
                self.analyse(self.source, str(event.value))

    def mapping(self) -> dict[str, str]:
        out = {}
        for sel in self.query("#mapping Select").results(Select):
            if sel.value not in (NONE, Select.NULL):
                out[str(sel.id).removeprefix("map-")] = str(sel.value)
        return out

    def action_prepare(self) -> None:
        if self.source is None or self.survey is None:
            self.notify("open a file first (o)", severity="warning")
            return
        from pydantic import ValidationError

        from appliance.config import DataSection

        data = dict(self.survey["config"]["data"])
        data["source"] = str(self.source.resolve())
        data["format"] = self.query_one("#format", Select).value
        data["fields"] = self.mapping()
        split = dict(data.get("split") or {})
        for key in ("validation", "test"):
            raw = self.query_one(f"#split-{key}", Input).value.strip()
            if raw:
                split[key] = raw
        data["split"] = split
        try:
            section = DataSection.model_validate(data)
        except ValidationError as exc:
            e = exc.errors()[0]
            self.show_error("prepare", _bad_input(f"{'.'.join(map(str, e['loc']))}: {e['msg']}"))
            return
        base_dir = self.source.resolve().parent

        def work(sink: Any) -> Any:
            from appliance.data import prepare_dataset

            return prepare_dataset(self.ws, section, base_dir, sink)

        self.run_stage("prepare", work, self._prepared, panel=self.query_one("#progress", StageProgressPanel))

    def _prepared(self, art: Any) -> None:
        s = art.manifest["summary"]
        self.notify(
            f"dataset {art.id}: {s['records']} records prepared ({', '.join(f'{k} {v}' for k, v in s['splits'].items())})"
        )
        self.show_report(art.id)

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        if event.data_table.id == "datasets" and event.row_key.value:
            self.show_report(str(event.row_key.value))

    def show_report(self, dataset_id: str) -> None:
        from rich.console import Group

        from appliance.data.report import find_report, render_report

        art = self.ws.get("dataset", dataset_id)
        report = find_report(self.ws, art)
        if report is None:
            self.query_one("#report", Static).update(f"{dataset_id}: no quality report")
            return
        self.query_one("#report", Static).update(Group(*render_report(report, art.id)))


def _bad_input(msg: str) -> Exception:
    from appliance.errors import BadInput

    return BadInput(msg)
