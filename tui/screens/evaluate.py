"""Evaluate: metrics against baselines, the release-gate verdict rule by rule, leakage, run comparison."""

from __future__ import annotations

import json
from typing import Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import (
    Button,
    Collapsible,
    DataTable,
    Footer,
    Header,
    Label,
    Select,
    SelectionList,
    Static,
)

from tui.screens.base import StageScreen
from tui.widgets.form import ModelForm
from tui.widgets.nav import NavBar
from tui.widgets.progress import StageProgressPanel

METRICS = ("loss", "perplexity", "exact_match", "token_f1", "rougeL")


def fmt(v: Any) -> str:
    if v is None:
        return "-"
    return f"{v:.4g}" if isinstance(v, float) else str(v)


class EvaluateScreen(StageScreen):
    NAME = "Evaluate"
    HELP = """Evaluate a run on its own validation data: loss/perplexity of the base and tuned model,
baselines (zero-shot, few-shot), generation metrics, PII leakage (canaries, identifiers in generations,
verbatim regurgitation), then the release gates of the policy, **rule by rule**, and one verdict.
The settings form is generated from the config's `evaluate:` section. Tick two or more runs under
*compare* and press **m** to compare them. Same as `appliance evaluate RUN` and `appliance runs compare`.

| key | action |
|---|---|
| e | evaluate the chosen run |
| m | compare the ticked runs |
| r | refresh |
"""
    BINDINGS = [
        Binding("e", "evaluate", "Evaluate"),
        Binding("m", "compare", "Compare"),
        Binding("r", "refresh", "Refresh"),
    ]

    def compose(self) -> ComposeResult:
        from appliance.config import EvaluateSection

        yield Header()
        yield NavBar("evaluate")
        with VerticalScroll(classes="body"):
            with Horizontal(classes="row"):
                yield Label("run", classes="form-label")
                yield Select([], compact=True, id="run", prompt="run")
            with Collapsible(title="evaluation settings", collapsed=True):
                yield ModelForm(EvaluateSection, id="eval-form")
            with Horizontal(classes="row"):
                yield Button("Evaluate (e)", id="evaluate", variant="primary", compact=True)
                yield Button("Compare (m)", id="compare", compact=True)
            yield StageProgressPanel(id="progress")
            yield Static(id="verdict", classes="verdict", markup=False)
            yield Label("metrics", classes="section")
            yield DataTable(id="metrics", cursor_type="row")
            yield Label("release gates", classes="section")
            yield DataTable(id="gates", cursor_type="row")
            yield Label("leakage", classes="section")
            yield DataTable(id="leakage", cursor_type="row")
            yield Label("compare runs (space ticks)", classes="section")
            yield SelectionList(id="compare-runs")
            yield DataTable(id="comparison", cursor_type="row")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#metrics", DataTable).add_columns("system", *METRICS)
        self.query_one("#gates", DataTable).add_columns(
            "rule", "metric", "value", "op", "threshold", "result"
        )
        self.query_one("#leakage", DataTable).add_columns("measure", "value")
        self.query_one("#comparison", DataTable).add_columns("run", "verdict", *METRICS[:2], "best")
        self.refresh_data()

    def refresh_data(self) -> None:
        runs = self.ws.list("run")
        sel = self.query_one("#run", Select)
        keep = sel.value
        sel.set_options([(r.id, r.id) for r in runs])
        ids = [r.id for r in runs]
        if keep in ids:
            sel.value = keep
        elif ids:
            sel.value = ids[-1]
        lst = self.query_one("#compare-runs", SelectionList)
        ticked = set(lst.selected)
        lst.clear_options()
        lst.add_options([(r.id, r.id, r.id in ticked) for r in runs])

    def action_refresh(self) -> None:
        self.refresh_data()

    def on_select_changed(self, event: Select.Changed) -> None:
        if event.select.id == "run" and event.value is not Select.NULL:
            self.show_run(str(event.value))

    def on_button_pressed(self, event: Button.Pressed) -> None:
        {"evaluate": self.action_evaluate, "compare": self.action_compare}[str(event.button.id)]()

    def show_run(self, run_id: str) -> None:
        run = self.ws.get("run", run_id)
        path = run.path / "eval" / "report.json"
        verdict_box = self.query_one("#verdict", Static)
        for wid in ("#metrics", "#gates", "#leakage"):
            self.query_one(wid, DataTable).clear()
        if not path.is_file():
            verdict_box.update(f"{run_id}: not evaluated yet (press e)")
            verdict_box.set_classes("verdict")
            return
        self.show_report(run, json.loads(path.read_text("utf-8")))

    def show_report(self, run: Any, report: dict[str, Any]) -> None:
        from appliance.evaluate import describe, load_verdict
        from appliance.evaluate.gates import metric_value

        verdict = load_verdict(run)
        box = self.query_one("#verdict", Static)
        if verdict is None:
            box.update("no verdict")
        else:
            box.update(describe(verdict))
            box.set_classes("verdict " + ("ok" if verdict["passed"] else "bad"))
        table = self.query_one("#metrics", DataTable)
        table.clear()
        systems = list(report.get("metrics", {}))
        for extra in ("base_zero_shot", "base_few_shot"):
            if extra not in systems and any(metric_value(report, extra, m) is not None for m in METRICS):
                systems.append(extra)
        for system in systems:
            table.add_row(system, *[fmt(metric_value(report, system, m)) for m in METRICS])
        gates = self.query_one("#gates", DataTable)
        gates.clear()
        for r in (verdict or {}).get("rules", []):
            gates.add_row(
                r["rule"],
                str(r["metric"]),
                fmt(r["value"]),
                r["op"],
                fmt(r["threshold"]),
                "pass" if r["passed"] else "FAIL",
            )
        leak = self.query_one("#leakage", DataTable)
        leak.clear()
        for part, values in (report.get("leakage") or {}).items():
            if isinstance(values, dict):
                for k, v in values.items():
                    if isinstance(v, (int, float, str)) or v is None:
                        leak.add_row(f"{part}.{k}", fmt(v))

    def action_evaluate(self) -> None:
        from pydantic import ValidationError

        from appliance.config import EvaluateSection

        run_id = self.query_one("#run", Select).value
        if run_id is Select.NULL:
            self.notify("no run to evaluate: train one first (5)", severity="warning")
            return
        try:
            cfg = EvaluateSection.model_validate(self.query_one("#eval-form", ModelForm).values())
        except ValidationError as exc:
            from appliance.errors import BadInput

            e = exc.errors()[0]
            self.show_error(
                "evaluation settings", BadInput(f"evaluate.{'.'.join(map(str, e['loc']))}: {e['msg']}")
            )
            return
        run = self.ws.get("run", str(run_id))

        def work(sink: Any) -> dict[str, Any]:
            from appliance.evaluate import evaluate

            return evaluate(self.ws, run, cfg, sink)

        self.run_stage(
            "evaluate",
            work,
            lambda report: self._evaluated(run, report),
            panel=self.query_one("#progress", StageProgressPanel),
        )

    def _evaluated(self, run: Any, report: dict[str, Any]) -> None:
        self.show_report(run, report)
        self.notify(f"run {run.id} evaluated: {'PASS' if report['verdict']['passed'] else 'FAIL'}")

    def action_compare(self) -> None:
        ids = list(self.query_one("#compare-runs", SelectionList).selected)
        if len(ids) < 2:
            self.notify("tick two or more runs to compare", severity="warning")
            return

        def work(sink: Any) -> dict[str, Any]:
            from appliance.evaluate.runs import compare_runs

            return compare_runs(self.ws, ids)

        self.run_stage("compare", work, self._compared)

    def _compared(self, result: dict[str, Any]) -> None:
        table = self.query_one("#comparison", DataTable)
        table.clear()
        for r in result["runs"]:
            table.add_row(
                r["id"],
                str(r["verdict"]),
                *[fmt(r["metrics"].get(m)) for m in METRICS[:2]],
                "★" if r["id"] == result["best"] else "",
            )
        self.notify(f"best by {result['primary_metric']}: {result['best']} ({result['best_among']})")
