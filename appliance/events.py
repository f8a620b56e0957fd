"""Typed progress events from the stages, consumed by the CLI (rich progress bars) and the TUI.

A stage never prints: it emits `Event`s through an `EventSink`. `StageProgress` computes the ETA.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

EventKind = Literal["start", "progress", "end", "info", "warning"]


@dataclass(frozen=True)
class Event:
    stage: str
    kind: EventKind
    message: str = ""
    step: int = 0
    total: int | None = None
    eta_s: float | None = None
    elapsed_s: float = 0.0
    metrics: dict[str, Any] = field(default_factory=dict)


class EventSink(Protocol):
    def emit(self, event: Event) -> None: ...


class NullSink:
    def emit(self, event: Event) -> None:
        pass


class ListSink:
    """Keeps every event (tests, and the TUI's history)."""

    def __init__(self) -> None:
        self.events: list[Event] = []

    def emit(self, event: Event) -> None:
        self.events.append(event)


class CallbackSink:
    def __init__(self, fn: Callable[[Event], None]):
        self.fn = fn

    def emit(self, event: Event) -> None:
        self.fn(event)


class StageProgress:
    """Progress of one stage: `start()`, `advance()` per unit of work, `end()`; ETA from the mean rate."""

    def __init__(self, sink: EventSink, stage: str, total: int | None, message: str = ""):
        self.sink, self.stage, self.total, self.message = sink, stage, total, message
        self.step = 0
        self.step0 = 0  # steps done before this process started (a resumed run): not part of the rate
        self.t0 = time.monotonic()
        self.ended = False

    def __enter__(self) -> StageProgress:
        self.t0 = time.monotonic()
        self.sink.emit(Event(self.stage, "start", self.message, 0, self.total))
        return self

    def __exit__(self, exc_type, exc, tb) -> None:  # noqa: ANN001
        if exc_type is None and not self.ended:
            self.end()

    def advance(self, n: int = 1, **metrics: Any) -> None:
        self.step += n
        elapsed = time.monotonic() - self.t0
        eta = None
        if self.total and self.step > self.step0:
            eta = elapsed / (self.step - self.step0) * max(self.total - self.step, 0)
        self.sink.emit(
            Event(self.stage, "progress", self.message, self.step, self.total, eta, elapsed, metrics)
        )

    def info(self, message: str, **metrics: Any) -> None:
        self.sink.emit(Event(self.stage, "info", message, self.step, self.total, None, self.elapsed, metrics))

    def warn(self, message: str, **metrics: Any) -> None:
        self.sink.emit(Event(self.stage, "warning", message, self.step, self.total, None, self.elapsed, metrics))

    def resume_at(self, step: int) -> None:
        self.step = self.step0 = step
        self.t0 = time.monotonic()

    @property
    def elapsed(self) -> float:
        return time.monotonic() - self.t0

    def end(self, message: str = "", **metrics: Any) -> None:
        self.ended = True
        self.sink.emit(
            Event(
                self.stage, "end", message or self.message, self.step, self.total, 0.0, self.elapsed, metrics
            )
        )


def info(sink: EventSink, stage: str, message: str, **metrics: Any) -> None:
    sink.emit(Event(stage, "info", message, metrics=metrics))


class RichSink:
    """Console progress with ETA (rich). Used by the CLI; imported lazily there."""

    def __init__(self, console: Any = None):
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            SpinnerColumn,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        self.console = console or Console(stderr=True)
        self.progress = Progress(
            SpinnerColumn(),
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TextColumn("eta"),
            TimeRemainingColumn(),
            TextColumn("{task.fields[metrics]}"),
            console=self.console,
            transient=False,
        )
        self.tasks: dict[str, Any] = {}

    def __enter__(self) -> RichSink:
        self.progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.progress.stop()

    def emit(self, event: Event) -> None:
        desc = f"{event.stage}: {event.message}" if event.message else event.stage
        metrics = "  ".join(f"{k}={_fmt(v)}" for k, v in event.metrics.items())
        if event.kind == "start":
            self.tasks[event.stage] = self.progress.add_task(desc, total=event.total, metrics="")
        elif event.kind in ("progress", "end"):
            task = self.tasks.get(event.stage)
            if task is None:
                task = self.tasks[event.stage] = self.progress.add_task(desc, total=event.total, metrics="")
            total = event.total if event.total is not None else (event.step if event.kind == "end" else None)
            self.progress.update(task, completed=event.step, total=total, metrics=metrics)
            if event.kind == "end":
                self.progress.update(task, description=desc)
                self.progress.stop_task(task)
        elif event.kind == "warning":
            self.progress.console.print(f"[yellow]warning[/] {event.stage}: {event.message}")
        else:
            self.progress.console.print(f"[dim]{event.stage}[/]: {event.message} {metrics}".rstrip())


def _fmt(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:.4g}"
    return str(v)
