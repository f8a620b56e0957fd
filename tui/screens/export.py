"""Export: choose precisions, run the ONNX export with parity checks, then try a prompt against the export."""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Button, DataTable, Footer, Header, Input, Label, Select, Static

from tui.screens.base import StageScreen
from tui.widgets.form import ModelForm
from tui.widgets.nav import NavBar
from tui.widgets.progress import StageProgressPanel


def parity_row(name: str, p: dict[str, Any]) -> tuple[str, ...]:
    if p.get("skipped"):
        return (name, "skipped", "-", "-", "-", str(p["skipped"])[:40])
    return (
        name,
        "PASS" if p["passed"] else "FAIL",
        f"{p['max_abs_prefill']:.2e}",
        f"{p['max_abs_decode']:.2e}",
        f"{p['greedy_agreement']:.2f}",
        f"{p['ppl_delta']:+.2%} on {p['provider']}",
    )


class ExportScreen(StageScreen):
    NAME = "Export"
    HELP = """Export a run: merge the adapter, build KV-cached ONNX decoders per precision, prove parity with
PyTorch, write the Triton model repository and a signed manifest. A run whose release gates did not pass is
refused unless you give an **override reason** (audited as `export.override`).
Then type a prompt under *infer* and press enter to generate from the export (CUDA when present, else CPU).
Same as `appliance export onnx RUN` and `appliance infer DIR --prompt TEXT`.

| key | action |
|---|---|
| x | export the chosen run |
| i | focus the prompt |
| r | refresh |
"""
    BINDINGS = [
        Binding("x", "export", "Export"),
        Binding("i", "focus_prompt", "Infer"),
        Binding("r", "refresh", "Refresh"),
    ]

    def compose(self) -> ComposeResult:
        from appliance.config import OnnxExport

        yield Header()
        yield NavBar("export")
        with VerticalScroll(classes="body"):
            with Horizontal(classes="row"):
                yield Label("run", classes="form-label")
                yield Select([], compact=True, id="run", prompt="run")
            yield Static(id="gate", classes="hint", markup=False)
            yield ModelForm(OnnxExport, id="export-form")
            with Horizontal(classes="row"):
                yield Label("override reason", classes="form-label")
                yield Input(
                    placeholder="only when the gates did not pass (audited)", compact=True, id="override"
                )
            yield Button("Export (x)", id="export", variant="primary", compact=True)
            yield StageProgressPanel(id="progress")
            yield Label("parity", classes="section")
            yield DataTable(id="parity", cursor_type="row")
            yield Label("infer", classes="section")
            with Horizontal(classes="row"):
                yield Label("export", classes="form-label")
                yield Select([], compact=True, id="export-id", prompt="export")
            yield Input(placeholder="prompt (enter to generate)", compact=True, id="prompt")
            yield Static(id="answer", classes="status-line", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#parity", DataTable).add_columns(
            "precision", "result", "prefill |Δ|", "decode |Δ|", "greedy", "perplexity"
        )
        self.refresh_data()

    def refresh_data(self) -> None:
        for wid, kind in (("#run", "run"), ("#export-id", "export")):
            sel = self.query_one(wid, Select)
            keep = sel.value
            ids = [a.id for a in self.ws.list(kind)]
            sel.set_options([(i, i) for i in ids])
            if keep in ids:
                sel.value = keep
            elif ids:
                sel.value = ids[-1]

    def action_refresh(self) -> None:
        self.refresh_data()

    def on_select_changed(self, event: Select.Changed) -> None:
        if event.select.id == "run" and event.value is not Select.NULL:
            from appliance.evaluate import load_verdict

            verdict = load_verdict(self.ws.get("run", str(event.value)))
            gate = self.query_one("#gate", Static)
            if verdict is None:
                gate.update("release gates: not evaluated (export needs an override reason)")
            elif verdict["passed"]:
                gate.update("release gates: PASS")
            else:
                gate.update(
                    f"release gates: FAIL ({', '.join(verdict['failed'])}); export needs an override reason"
                )

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "export":
            self.action_export()

    def action_export(self) -> None:
        from pydantic import ValidationError

        from appliance.config import OnnxExport

        run_id = self.query_one("#run", Select).value
        if run_id is Select.NULL:
            self.notify("no run to export", severity="warning")
            return
        try:
            cfg = OnnxExport.model_validate(self.query_one("#export-form", ModelForm).values())
        except ValidationError as exc:
            from appliance.errors import BadInput

            e = exc.errors()[0]
            self.show_error(
                "export settings", BadInput(f"export.onnx.{'.'.join(map(str, e['loc']))}: {e['msg']}")
            )
            return
        reason = self.query_one("#override", Input).value.strip() or None
        run = self.ws.get("run", str(run_id))

        def work(sink: Any) -> Any:
            from appliance.export import export_onnx

            return export_onnx(self.ws, run, cfg, sink=sink, override_reason=reason)

        self.run_stage("export", work, self._exported, panel=self.query_one("#progress", StageProgressPanel))

    def _exported(self, art: Any) -> None:
        table = self.query_one("#parity", DataTable)
        table.clear()
        for name, p in art.manifest["summary"]["parity"].items():
            table.add_row(*parity_row(name, p))
        self.query_one("#export-id", Select).value = art.id
        self.notify(f"export {art.id} written and signed")

    def action_focus_prompt(self) -> None:
        self.query_one("#prompt", Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id != "prompt" or not event.value.strip():
            return
        exp_id = self.query_one("#export-id", Select).value
        if exp_id is Select.NULL:
            self.notify("no export yet", severity="warning")
            return
        export_dir = self.ws.get("export", str(exp_id)).path
        prompt = event.value
        answer = self.query_one("#answer", Static)
        answer.update("generating…")
        shown: list[str] = []

        def work(sink: Any) -> str:
            from appliance.serve import OnnxGenerator

            gen = OnnxGenerator(export_dir)
            head = f"[{gen.precision} on {gen.provider}] "
            for piece in gen.stream(prompt, max_new_tokens=64):
                shown.append(piece)
                self.app.call_from_thread(answer.update, head + "".join(shown))
            return head + "".join(shown)

        self.run_stage("infer", work, answer.update)
