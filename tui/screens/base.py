"""What every stage screen shares: the screen bar, F1 help text, and running a stage in a worker thread.

`run_stage(label, fn, on_done)` calls `fn(sink)` in a thread worker; the stage's progress events are posted to
a `StageProgressPanel`; the result comes back to `on_done` on the UI thread; an error opens an error dialog with
the stage's own message (ApplianceError messages never contain data values; other exceptions show their type).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, ClassVar

from textual.binding import Binding
from textual.screen import Screen
from textual.worker import Worker, WorkerState

from tui.widgets.dialogs import ErrorDialog
from tui.widgets.progress import StageProgressPanel


class StageCancelled(Exception):
    """Raised inside a stage (from its event sink) when the operator cancels it."""


class StageScreen(Screen):
    NAME: ClassVar[str] = ""
    HELP: ClassVar[str] = ""
    # Nothing focused on arrival, so the screen's single-letter keys work at once; tab enters the fields and
    # escape leaves them again.
    AUTO_FOCUS = None
    BINDINGS = [Binding("escape", "leave_field", "Leave field", show=False)]

    def __init__(self) -> None:
        super().__init__()
        self._on_done: dict[Worker, tuple[str, Callable[[Any], None] | None]] = {}
        self._cancel = threading.Event()

    def action_leave_field(self) -> None:
        self.set_focus(None)

    @property
    def ws(self) -> Any:
        return self.app.ws  # type: ignore[attr-defined]

    def refresh_data(self) -> None:
        """Re-read the workspace (called when the screen is shown and after a stage finishes)."""

    def on_screen_resume(self) -> None:
        self.refresh_data()

    @property
    def busy(self) -> bool:
        return any(w.group == "stage" and w.is_running for w in self.workers)

    def run_stage(
        self,
        label: str,
        fn: Callable[[Any], Any],
        on_done: Callable[[Any], None] | None = None,
        panel: StageProgressPanel | None = None,
        on_event: Callable[[Any], None] | None = None,
    ) -> Worker | None:
        if self.busy:
            self.notify("a stage is already running on this screen", severity="warning")
            return None
        from appliance.events import CallbackSink

        self._cancel.clear()
        if panel is not None:
            panel.reset(f"{label}: starting…")

        def emit(ev: Any) -> None:
            if self._cancel.is_set():
                raise StageCancelled(f"{label} cancelled by the operator")
            if panel is not None:
                panel.post_message(StageProgressPanel.Update(ev))
            if on_event is not None:
                self.app.call_from_thread(on_event, ev)

        def work() -> Any:
            return fn(CallbackSink(emit))

        worker = self.run_worker(work, name=label, group="stage", thread=True, exit_on_error=False)
        self._on_done[worker] = (label, on_done)
        return worker

    def cancel_stage(self) -> None:
        if self.busy:
            self._cancel.set()
            self.notify("cancelling at the next step…")

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        entry = self._on_done.get(event.worker)
        if entry is None:
            return
        label, on_done = entry
        if event.state == WorkerState.SUCCESS:
            del self._on_done[event.worker]
            self.refresh_data()
            if on_done is not None:
                on_done(event.worker.result)
        elif event.state == WorkerState.ERROR:
            del self._on_done[event.worker]
            self.show_error(label, event.worker.error)
            self.refresh_data()
        elif event.state == WorkerState.CANCELLED:
            del self._on_done[event.worker]

    def show_error(self, label: str, exc: BaseException | None) -> None:
        from appliance.errors import ApplianceError

        if isinstance(exc, StageCancelled):
            self.notify(str(exc), severity="warning")
            return
        if isinstance(exc, ApplianceError):
            message = str(exc)
        else:  # a bug: its text may hold raw values, so show only the type (as the CLI does)
            message = f"internal error ({type(exc).__name__}); rerun with APPLIANCE_DEBUG=1 for details"
            import os

            if os.environ.get("APPLIANCE_DEBUG"):
                message += f"\n{exc!r}"
        self.app.push_screen(ErrorDialog(f"{label} failed", message))
