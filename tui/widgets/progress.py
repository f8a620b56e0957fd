"""A stage's progress: bar, step/total, ETA and the metrics its events carry."""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import Label, ProgressBar


def fmt_eta(seconds: float | None) -> str:
    if seconds is None:
        return "--:--"
    s = int(round(seconds))
    return f"{s // 3600}:{s // 60 % 60:02d}:{s % 60:02d}" if s >= 3600 else f"{s // 60:02d}:{s % 60:02d}"


def fmt_value(v: Any) -> str:
    return f"{v:.4g}" if isinstance(v, float) else str(v)


class StageProgressPanel(Vertical):
    """Fed with `appliance.events.Event`s (posted from a worker thread as `StageProgressPanel.Update`)."""

    DEFAULT_CLASSES = "progress-panel"

    class Update(Message):
        def __init__(self, event: Any) -> None:
            super().__init__()
            self.event = event

    def compose(self) -> ComposeResult:
        yield Label("idle", classes="progress-title")
        yield ProgressBar(total=100, show_eta=False, show_percentage=True)  # idle: still (no animation)
        yield Label("", classes="progress-detail")

    def reset(self, title: str = "starting…") -> None:
        self.query_one(".progress-title", Label).update(title)
        self.query_one(ProgressBar).update(total=None, progress=0)
        self.query_one(".progress-detail", Label).update("")

    def on_stage_progress_panel_update(self, message: Update) -> None:
        message.stop()
        self.show_event(message.event)

    def show_event(self, ev: Any) -> None:
        title = f"{ev.stage}: {ev.message}" if ev.message else ev.stage
        bar = self.query_one(ProgressBar)
        if ev.kind in ("start", "progress", "end"):
            self.query_one(".progress-title", Label).update(title + (" ✓" if ev.kind == "end" else ""))
            total = ev.total if ev.total is not None else (ev.step if ev.kind == "end" else None)
            bar.update(total=total, progress=ev.step)
        parts = []
        if ev.total:
            parts.append(f"{ev.step}/{ev.total}")
        if ev.kind == "progress":
            parts.append(f"ETA {fmt_eta(ev.eta_s)}")
        parts += [f"{k}={fmt_value(v)}" for k, v in ev.metrics.items()]
        if ev.kind in ("info", "warning"):
            parts.insert(0, f"{'⚠ ' if ev.kind == 'warning' else ''}{ev.message}")
        if parts:
            self.query_one(".progress-detail", Label).update("  ".join(parts))
