"""Models: import a base model from local media (HF folder or GGUF), list them, memory estimate for the GPU."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Button, DataTable, Footer, Header, Label, Static

from tui.screens.base import StageScreen
from tui.widgets.dialogs import FilePickerDialog
from tui.widgets.nav import NavBar
from tui.widgets.progress import StageProgressPanel


def method_plans(model: Any, device: str) -> list[tuple[str, Any]]:
    """The training memory planner's estimate for every method the core offers, at default settings."""
    from typing import get_args

    from pydantic import ValidationError

    from appliance.config import TrainSection
    from appliance.train.memory import plan

    out = []
    for method in get_args(TrainSection.model_fields["method"].annotation):
        try:
            cfg = TrainSection(method=method)
        except ValidationError:  # e.g. feature-extraction trains a classification head
            cfg = TrainSection(method=method, task="classification", head="sequence")
        try:
            out.append((method, plan(model.path, cfg, device)))
        except (KeyError, TypeError, OSError, ValueError):  # a config the planner cannot read
            continue
    return out


def gib(n: int) -> str:
    return f"{n / 2**30:.2f} GiB"


class ModelsScreen(StageScreen):
    NAME = "Models"
    HELP = """The workspace's base models. Import one from local media: a Hugging Face folder with
safetensors weights, or a GGUF file (dequantized to safetensors on import). **e** uses the embedded
SmolLM2-135M-Instruct. Select a model (or press **m**) for the training memory planner's estimate per method
at default settings on the detected GPU (or the CPU); the Train screen plans your exact settings.
Same as `appliance models import PATH` and `appliance models list`.

| key | action |
|---|---|
| i | import a model (file picker: a folder or a .gguf file) |
| e | import the embedded default model |
| m | memory estimate for the selected model |
| r | refresh |
"""
    BINDINGS = [
        Binding("i", "import", "Import"),
        Binding("e", "embedded", "Embedded model"),
        Binding("m", "memory", "Memory"),
        Binding("r", "refresh", "Refresh"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.gpus: list[dict[str, Any]] | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        yield NavBar("models")
        with VerticalScroll(classes="body"):
            with Horizontal(classes="row"):
                yield Button("Import (i)", id="import", variant="primary", compact=True)
                yield Button("Embedded (e)", id="embedded", compact=True)
                yield Button("Memory (m)", id="memory", compact=True)
            yield StageProgressPanel(id="progress")
            yield Label("models", classes="section")
            yield DataTable(id="models", cursor_type="row")
            yield Label("memory estimate", classes="section")
            yield Static("select a model and press m", id="gpu", classes="hint", markup=False)
            yield DataTable(id="memory-table", cursor_type="row")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#models", DataTable).add_columns("id", "format", "parameters", "source")
        self.query_one("#memory-table", DataTable).add_columns("method", "needs", "free", "fits")
        self.refresh_data()

    def refresh_data(self) -> None:
        table = self.query_one("#models", DataTable)
        table.clear()
        for a in self.ws.list("model"):
            s = a.manifest["summary"]
            params = f"{s['parameters']:,}" if s.get("parameters") else ""
            table.add_row(
                a.id, s.get("source_format", ""), params, Path(str(s.get("source", ""))).name, key=a.id
            )

    def action_refresh(self) -> None:
        self.refresh_data()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        {"import": self.action_import, "embedded": self.action_embedded, "memory": self.action_memory}[
            str(event.button.id)
        ]()

    def action_import(self) -> None:
        self.app.push_screen(
            FilePickerDialog(
                self.app.start_dir, "Model: an HF folder (type its path, enter) or a .gguf file", folders=True
            ),  # type: ignore[attr-defined]
            self.import_path,
        )

    def import_path(self, path: Path | None) -> None:
        if path is None:
            return

        def work(sink: Any) -> Any:
            from appliance.models import import_model

            return import_model(self.ws, path, sink)

        self.run_stage(
            "model import", work, self._imported, panel=self.query_one("#progress", StageProgressPanel)
        )

    def action_embedded(self) -> None:
        def work(sink: Any) -> Any:
            from appliance.models import default_model

            return default_model(self.ws, sink)

        self.run_stage(
            "embedded model", work, self._imported, panel=self.query_one("#progress", StageProgressPanel)
        )

    def _imported(self, art: Any) -> None:
        self.notify(f"model {art.id} imported ({art.manifest['summary'].get('source_format')})")

    def action_memory(self) -> None:
        table = self.query_one("#models", DataTable)
        if not table.row_count:
            self.notify("no model yet: import one (i) or use the embedded one (e)", severity="warning")
            return
        model = self.ws.get("model", str(table.coordinate_to_cell_key((table.cursor_row, 0)).row_key.value))

        def work(sink: Any) -> tuple[list[dict[str, Any]], list[tuple[str, Any]]]:
            from appliance.doctor import gpu_memory

            gpus = self.gpus if self.gpus is not None else gpu_memory()
            return gpus, method_plans(model, "cuda" if gpus else "cpu")

        self.run_stage("memory estimate", work, self._show_memory)

    def _show_memory(self, result: tuple[list[dict[str, Any]], list[tuple[str, Any]]]) -> None:
        gpus, plans = result
        self.gpus = gpus
        where = (
            f"GPU: {gpus[0]['name']}, {gib(gpus[0]['total_bytes'])}"
            if gpus
            else "no CUDA GPU: planned for the CPU"
        )
        self.query_one("#gpu", Static).update(
            f"{where} (default settings: batch 4 × 512 tokens; the Train screen plans yours)"
        )
        table = self.query_one("#memory-table", DataTable)
        table.clear()
        if not plans:
            table.add_row("-", "-", "-", "the planner cannot read this model's config")
        for method, p in plans:
            table.add_row(
                method, f"{p.total_mb:,.0f} MiB", f"{p.available_mb:,.0f} MiB", "yes" if p.fits else "NO"
            )

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        if event.data_table.id == "models":
            self.action_memory()
