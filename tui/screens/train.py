"""Train: a form generated from `appliance.config.TrainSection`, the memory verdict, live loss/lr charts."""

from __future__ import annotations

import json
from typing import Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Button, Footer, Header, Label, Select, Static

from tui.screens.base import StageScreen
from tui.widgets.chart import TrainCharts
from tui.widgets.form import ModelForm
from tui.widgets.nav import NavBar
from tui.widgets.progress import StageProgressPanel

PLANNER_NAMES = ("plan_memory", "memory_plan", "plan_training", "plan")


def planner() -> Any:
    """The training memory planner, if `appliance.train` exposes one (imports torch: call in a worker)."""
    import appliance.train as t

    return next((getattr(t, n) for n in PLANNER_NAMES if callable(getattr(t, n, None))), None)


class TrainScreen(StageScreen):
    NAME = "Train"
    HELP = """Fine-tune a base model on a scrubbed (and, ideally, approved) dataset.

The form is generated from the pipeline config's `train:` section (method, task, LoRA, hyperparameters), so
new methods appear here when the core adds them. **k** checks memory first (the planner's verdict where the
core has one, else a rough estimate); **s** starts training. Loss and learning-rate curves update live with
tokens/s and the ETA; **c** cancels (the unfinished run is discarded, nothing half-written stays).
Same as `appliance train --config FILE --dataset ID`.

| key | action |
|---|---|
| s | start training |
| k | memory check for these settings |
| c | cancel the running training |
| r | refresh the dataset and model lists |
"""
    BINDINGS = [
        Binding("s", "start", "Start"),
        Binding("k", "check", "Memory check"),
        Binding("c", "cancel", "Cancel"),
        Binding("r", "refresh", "Refresh"),
    ]

    def compose(self) -> ComposeResult:
        from appliance.config import TrainSection

        yield Header()
        yield NavBar("train")
        with VerticalScroll(classes="body"):
            with Horizontal(classes="row"):
                yield Label("dataset", classes="form-label")
                yield Select([], compact=True, id="dataset", prompt="scrubbed dataset")
            with Horizontal(classes="row"):
                yield Label("base model", classes="form-label")
                yield Select([], compact=True, id="model", prompt="model")
            yield ModelForm(TrainSection, id="train-form")
            with Horizontal(classes="row"):
                yield Button("Start (s)", id="start", variant="primary", compact=True)
                yield Button("Memory (k)", id="check", compact=True)
                yield Button("Cancel (c)", id="cancel", variant="error", compact=True)
            yield Static(id="verdict", classes="hint", markup=False)
            yield StageProgressPanel(id="progress")
            yield TrainCharts(id="charts")
            yield Static(id="result", classes="status-line", markup=False)
            yield Label("hyperparameter search", classes="section")
            yield Static(
                "HPO trials appear here when the training engine runs a search (not in the core yet).",
                classes="hint",
            )
        yield Footer()

    def on_mount(self) -> None:
        self.refresh_data()

    def refresh_data(self) -> None:
        from tui.screens.scrub import signoff_state

        approvals = signoff_state(self.ws)
        scrubbed = [a for a in self.ws.list("dataset") if a.manifest["summary"].get("stage") == "scrubbed"]
        self._set_options(
            "#dataset",
            [(f"{a.id} ({approvals.get(a.id, {}).get('decision', 'not reviewed')})", a.id) for a in scrubbed],
            next(
                (a.id for a in reversed(scrubbed) if approvals.get(a.id, {}).get("decision") == "approve"),
                None,
            ),
        )
        models = self.ws.list("model")
        self._set_options("#model", [(a.id, a.id) for a in models], None)

    def _set_options(self, wid: str, options: list[tuple[str, str]], prefer: str | None) -> None:
        sel = self.query_one(wid, Select)
        keep = sel.value
        sel.set_options(options)
        values = [v for _, v in options]
        if keep in values:
            sel.value = keep
        elif prefer in values:
            sel.value = prefer
        elif values:
            sel.value = values[-1]

    def action_refresh(self) -> None:
        self.refresh_data()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        {"start": self.action_start, "check": self.action_check, "cancel": self.action_cancel}[
            str(event.button.id)
        ]()

    def _inputs(self) -> tuple[Any, Any, Any] | None:
        from pydantic import ValidationError

        from appliance.config import TrainSection

        ds, model = self.query_one("#dataset", Select).value, self.query_one("#model", Select).value
        if ds is Select.NULL or model is Select.NULL:
            self.notify("choose a scrubbed dataset and a base model", severity="warning")
            return None
        try:
            cfg = TrainSection.model_validate(self.query_one("#train-form", ModelForm).values())
        except ValidationError as exc:
            from appliance.errors import BadInput

            e = exc.errors()[0]
            self.show_error("train settings", BadInput(f"train.{'.'.join(map(str, e['loc']))}: {e['msg']}"))
            return None
        return self.ws.get("dataset", str(ds)), self.ws.get("model", str(model)), cfg

    def action_check(self) -> None:
        got = self._inputs()
        if got is None:
            return
        dataset, base, cfg = got

        def work(sink: Any) -> str:
            return memory_verdict(self.ws, dataset, base, cfg)

        self.run_stage("memory check", work, lambda text: self.query_one("#verdict", Static).update(text))

    def action_start(self) -> None:
        got = self._inputs()
        if got is None:
            return
        dataset, base, cfg = got
        charts = self.query_one("#charts", TrainCharts)
        charts.clear()
        self.query_one("#result", Static).update("")

        def work(sink: Any) -> Any:
            from appliance.train import train

            self.app.call_from_thread(
                self.query_one("#verdict", Static).update, memory_verdict(self.ws, dataset, base, cfg)
            )
            return train(self.ws, dataset, base, cfg, sink)

        def on_event(ev: Any) -> None:
            if ev.kind == "progress" and ev.stage.startswith("train"):
                charts.add(ev.step, ev.metrics.get("loss"), ev.metrics.get("lr"))

        self.run_stage(
            "train",
            work,
            self._trained,
            panel=self.query_one("#progress", StageProgressPanel),
            on_event=on_event,
        )

    def _trained(self, run: Any) -> None:
        s = run.manifest["summary"]
        charts = self.query_one("#charts", TrainCharts)
        charts.clear()
        path = run.path / "metrics.jsonl"
        if path.is_file():
            for line in path.read_text("utf-8").splitlines():
                if line.strip():
                    m = json.loads(line)
                    charts.add(m.get("step", 0), m.get("loss"), m.get("lr"))
        self.query_one("#result", Static).update(
            f"run {run.id}: {s.get('method')} on {s.get('device')}, {s.get('steps')} steps, train loss "
            f"{s.get('train_loss_before')} → {s.get('train_loss_after')}, {s.get('tokens_per_s')} tokens/s"
        )
        self.notify(f"run {run.id} finished")

    def action_cancel(self) -> None:
        self.cancel_stage()


def memory_verdict(ws: Any, dataset: Any, base: Any, cfg: Any) -> str:
    """The planner's verdict when `appliance.train` has a planner; else the rough per-method estimate."""
    plan = planner()
    if plan is not None:
        try:
            result = plan(ws=ws, dataset=dataset, base=base, cfg=cfg)
        except TypeError:
            result = plan(base, cfg)
        return f"memory planner: {result}"
    from appliance.doctor import gpu_memory
    from appliance.models import memory_estimate

    gpus = gpu_memory()
    vram = gpus[0]["total_bytes"] if gpus else None
    rows = {r["method"].split(" ")[0]: r for r in memory_estimate(base, vram)}
    r = rows.get(cfg.method)
    if r is None:
        return f"no estimate for method {cfg.method}"
    where = f"{gpus[0]['name']} ({vram / 2**30:.1f} GiB)" if gpus else "no GPU: training runs on the CPU"
    fits = "" if r["fits"] is None else ("fits" if r["fits"] else "DOES NOT FIT")
    return f"rough estimate (no planner in appliance.train yet): {cfg.method} peak ≈ {r['bytes'] / 2**30:.2f} GiB {fits}; {where}"
