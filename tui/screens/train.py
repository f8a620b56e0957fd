"""Train: a form generated from `appliance.config.TrainSection`, the memory planner's verdict, live loss/lr
charts with tokens/s and ETA, cancel (a checkpoint is kept) and resume, and hyperparameter-search trials."""

from __future__ import annotations

import json
from typing import Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Button, DataTable, Footer, Header, Label, Select, Static, TextArea

from tui.screens.base import StageScreen
from tui.widgets.chart import TrainCharts
from tui.widgets.form import ModelForm
from tui.widgets.nav import NavBar
from tui.widgets.progress import StageProgressPanel

HPO_HINT = "hpo (YAML, optional), e.g. {strategy: grid, space: {hparams.lr: [1.0e-4, 3.0e-4]}}"


def resumable_runs(ws: Any) -> list[str]:
    """Interrupted runs: a checkpoint folder and no finished run artifact."""
    root = ws.root / ".checkpoints"
    if not root.is_dir():
        return []
    done = {a.id for a in ws.list("run")}
    return sorted(p.name for p in root.iterdir() if p.is_dir() and p.name not in done)


def memory_verdict(base: Any, cfg: Any) -> tuple[bool, str]:
    """The training memory planner's verdict for these settings on this host (imports torch: in a worker)."""
    from appliance.train.memory import plan
    from appliance.train.modeling import pick_device

    device = pick_device()
    try:
        p = plan(base.path, cfg, device)
    except (KeyError, TypeError, OSError, ValueError):  # as appliance.train.memory.check: not a known decoder
        return (
            True,
            f"memory planner: this model's config is not one it can read; training on {device} unplanned",
        )
    head = "fits" if p.fits else "DOES NOT FIT"
    text = (
        f"memory planner: {head} on {device}: about {p.total_mb:,.0f} MiB (weights {p.weights_mb:,.0f}, "
        f"trainable state {p.trainable_mb:,.0f}, activations {p.activations_mb:,.0f}, logits {p.logits_mb:,.0f}) "
        f"of {p.available_mb:,.0f} MiB free"
    )
    return p.fits, text + (f". Try {p.suggestion}" if p.suggestion else "")


class TrainScreen(StageScreen):
    NAME = "Train"
    HELP = """Fine-tune a base model on a scrubbed (and, ideally, approved) dataset.

The form is generated from the pipeline config's `train:` section (method, task, head, LoRA, hyperparameters),
so new methods and options appear here when the core adds them. **k** asks the memory planner whether these
settings fit this machine (training refuses settings that do not). **s** starts: loss and learning-rate curves
update live with tokens/s and the ETA. **c** stops after the current step and keeps a checkpoint; the run
then appears under *resume*, and **u** continues it (with the same settings).

A hyperparameter search runs instead of one training when the *hpo* box holds a YAML mapping
(strategy grid|random|tpe, trials, space of dotted keys → values); its trials fill the table below.
Same as `appliance train --config FILE [--resume RUN]`.

| key | action |
|---|---|
| s | start training (or the search) |
| k | memory check for these settings |
| c | cancel (checkpoint kept) |
| u | resume the chosen interrupted run |
| r | refresh the lists |
"""
    BINDINGS = [
        Binding("s", "start", "Start"),
        Binding("k", "check", "Memory check"),
        Binding("c", "cancel", "Cancel"),
        Binding("u", "resume", "Resume"),
        Binding("r", "refresh", "Refresh"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.stop: Any = None

    def compose(self) -> ComposeResult:
        from appliance.config import TrainSection

        yield Header()
        yield NavBar("train")
        with VerticalScroll(classes="body"):
            with Horizontal(classes="row"):
                yield Label("dataset", classes="form-label")
                yield Select([], id="dataset", prompt="scrubbed dataset", compact=True)
            with Horizontal(classes="row"):
                yield Label("base model", classes="form-label")
                yield Select([], id="model", prompt="model", compact=True)
            yield ModelForm(TrainSection, id="train-form")
            yield Label(HPO_HINT, classes="hint")
            yield TextArea(id="hpo", classes="hpo-box")
            with Horizontal(classes="row"):
                yield Button("Start (s)", id="start", variant="primary", compact=True)
                yield Button("Memory (k)", id="check", compact=True)
                yield Button("Cancel (c)", id="cancel", variant="error", compact=True)
                yield Button("Resume (u)", id="resume", compact=True)
            with Horizontal(classes="row"):
                yield Label("resume", classes="form-label")
                yield Select([], id="resume-run", prompt="interrupted run", compact=True)
            yield Static(id="verdict", classes="hint", markup=False)
            yield StageProgressPanel(id="progress")
            yield TrainCharts(id="charts")
            yield Static(id="result", classes="status-line", markup=False)
            yield Label("hyperparameter search trials", classes="section")
            yield DataTable(id="trials", cursor_type="row")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#trials", DataTable).add_columns(
            "trial", "run", "params", "state", "val_loss", "steps"
        )
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
        self._set_options("#model", [(a.id, a.id) for a in self.ws.list("model")], None)
        self._set_options("#resume-run", [(r, r) for r in resumable_runs(self.ws)], None)

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
        actions = {"start": self.action_start, "check": self.action_check, "cancel": self.action_cancel}
        actions["resume"] = self.action_resume
        actions[str(event.button.id)]()

    def _inputs(self) -> tuple[Any, Any, Any] | None:
        import yaml
        from pydantic import ValidationError

        from appliance.config import TrainSection
        from appliance.errors import BadInput

        ds, model = self.query_one("#dataset", Select).value, self.query_one("#model", Select).value
        if ds is Select.NULL or model is Select.NULL:
            self.notify("choose a scrubbed dataset and a base model", severity="warning")
            return None
        values = self.query_one("#train-form", ModelForm).values()
        hpo_text = self.query_one("#hpo", TextArea).text.strip()
        try:
            if hpo_text:
                values["hpo"] = yaml.safe_load(hpo_text)
            cfg = TrainSection.model_validate(values)
        except yaml.YAMLError as exc:
            self.show_error("hpo settings", BadInput(f"train.hpo: not valid YAML ({type(exc).__name__})"))
            return None
        except ValidationError as exc:
            e = exc.errors()[0]
            self.show_error("train settings", BadInput(f"train.{'.'.join(map(str, e['loc']))}: {e['msg']}"))
            return None
        return self.ws.get("dataset", str(ds)), self.ws.get("model", str(model)), cfg

    def action_check(self) -> None:
        got = self._inputs()
        if got is None:
            return
        _, base, cfg = got
        self.run_stage("memory check", lambda sink: memory_verdict(base, cfg), self._show_verdict)

    def _show_verdict(self, verdict: tuple[bool, str]) -> None:
        self.query_one("#verdict", Static).update(("✔ " if verdict[0] else "✘ ") + verdict[1])

    def action_start(self, resume: str | None = None) -> None:
        got = self._inputs()
        if got is None:
            return
        dataset, base, cfg = got
        from appliance.train import StopFlag

        self.stop = StopFlag()
        stop = self.stop
        charts = self.query_one("#charts", TrainCharts)
        charts.clear()
        self.query_one("#result", Static).update("")
        hpo = cfg.hpo is not None and resume is None

        def work(sink: Any) -> Any:
            verdict = memory_verdict(base, cfg)
            self.app.call_from_thread(self._show_verdict, verdict)
            if hpo:
                from appliance.train.hpo import search

                return search(self.ws, dataset, base, cfg, sink)
            from appliance.train import train

            return train(self.ws, dataset, base, cfg, sink, resume=resume, stop=stop)

        def on_event(ev: Any) -> None:
            if ev.kind == "start" and ev.stage.startswith("train") and hpo:
                charts.clear()  # a new trial
            if ev.kind == "progress" and ev.stage.startswith("train"):
                charts.add(ev.step, ev.metrics.get("loss"), ev.metrics.get("lr"))

        label = "hyperparameter search" if hpo else ("resume" if resume else "train")
        self.run_stage(
            label,
            work,
            self._trained,
            panel=self.query_one("#progress", StageProgressPanel),
            on_event=on_event,
        )

    def action_resume(self) -> None:
        run_id = self.query_one("#resume-run", Select).value
        if run_id is Select.NULL:
            self.notify("no interrupted run to resume", severity="warning")
            return
        self.action_start(resume=str(run_id))

    def _trained(self, result: Any) -> None:
        if isinstance(result, tuple):  # a search: (best run, study artifact)
            run, study = result
            self._show_trials(study)
        else:
            run = result
        s = run.manifest["summary"]
        charts = self.query_one("#charts", TrainCharts)
        charts.clear()
        path = run.path / "metrics.jsonl"
        if path.is_file():
            for line in path.read_text("utf-8").splitlines():
                m = json.loads(line) if line.strip() else {}
                if "loss" in m:
                    charts.add(m.get("step", 0), m.get("loss"), m.get("lr"))
        self.query_one("#result", Static).update(
            f"run {run.id}: {s.get('method')} on {s.get('device')}, {s.get('steps')} steps, train loss "
            f"{s.get('train_loss_before')} → {s.get('train_loss_after')}, {s.get('tokens_per_s')} tokens/s"
        )
        self.notify(f"run {run.id} finished")

    def _show_trials(self, study: Any) -> None:
        table = self.query_one("#trials", DataTable)
        table.clear()
        trials = json.loads((study.path / "trials.json").read_text("utf-8"))
        for r in trials["trials"]:
            params = ", ".join(f"{k}={v}" for k, v in r["params"].items())
            best = " ★" if r.get("run") == trials["best"]["run"] else ""
            table.add_row(str(r["trial"]), str(r.get("run", "-")) + best, params, r["state"],
                          str(r.get("val_loss", "-")), str(r.get("steps", "-")))  # fmt: skip

    def show_error(self, label: str, exc: BaseException | None) -> None:
        from appliance.train import TrainingInterrupted

        if isinstance(exc, TrainingInterrupted):  # asked for: a toast, and the run is now resumable
            self.notify(
                str(exc).split(". Resume with")[0] + ". Resume it with u.", severity="warning", timeout=10
            )
            self.refresh_data()
            return
        super().show_error(label, exc)

    def action_cancel(self) -> None:
        if self.busy and self.stop is not None:
            self.stop.cancel("cancelled in the TUI")
            self.notify("stopping after the current step (a checkpoint is kept)…")
        else:
            self.cancel_stage()
