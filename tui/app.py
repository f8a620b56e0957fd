"""ApplianceApp: the operator's terminal UI over `appliance` (thin: every action is also a CLI command).

Screens (tui/screens/) are Textual modes, one per stage, switched with 1-8 or the command palette (ctrl+p).
Only Textual and the workspace module load at start; each stage imports its heavy libraries (torch,
transformers, presidio) inside the worker that runs it, so the first screen paints fast.
"""

from __future__ import annotations

import os
from pathlib import Path

from textual.app import App
from textual.binding import Binding

from appliance.workspace import Workspace
from tui.commands import ScreenCommands
from tui.widgets.nav import SCREENS


def _mode(module: str, cls: str):  # noqa: ANN202  (lazy: a screen's module loads when it is first shown)
    def make():  # noqa: ANN202
        import importlib

        return getattr(importlib.import_module(f"tui.screens.{module}"), cls)()

    return make


class ApplianceApp(App):
    TITLE = "Compliance Appliance"
    CSS_PATH = Path(__file__).with_name("app.tcss")  # absolute: subclasses elsewhere find it too
    COMMANDS = App.COMMANDS | {ScreenCommands}
    MODES = {
        "home": _mode("home", "HomeScreen"),
        "data": _mode("data", "DataScreen"),
        "scrub": _mode("scrub", "ScrubScreen"),
        "models": _mode("models", "ModelsScreen"),
        "train": _mode("train", "TrainScreen"),
        "evaluate": _mode("evaluate", "EvaluateScreen"),
        "export": _mode("export", "ExportScreen"),
        "audit": _mode("audit", "AuditScreen"),
    }
    BINDINGS = [
        Binding("f1", "help", "Help"),
        Binding("ctrl+p", "command_palette", "Commands", show=False),
        Binding("q", "quit", "Quit"),
        *[Binding(key, f"switch_mode('{name}')", label, show=False) for name, key, label in SCREENS],
    ]

    def __init__(
        self,
        workspace: Path | str | None = None,
        operator: str | None = None,
        start_dir: Path | str | None = None,
        probe_hardware: bool = True,
    ):
        """`operator`: skip the sign-in dialog (tests, scripted demos); `start_dir`: where file pickers open;
        `probe_hardware`: detect GPU/CUDA/ORT on the home screen (a worker; off for snapshot tests)."""
        super().__init__()
        self.ws = Workspace.open(workspace)
        self.operator = operator
        self.start_dir = Path(start_dir) if start_dir else Path.cwd()
        self.probe_hardware = probe_hardware

    def on_mount(self) -> None:
        self.switch_mode("home")
        if self.operator:
            self.set_operator(self.operator)
        else:
            from appliance.audit import current_actor
            from appliance.audit.crypto import PASSPHRASE_ENV
            from tui.widgets.dialogs import OperatorDialog

            need_pw = not os.environ.get(PASSPHRASE_ENV)
            self.push_screen(OperatorDialog(current_actor(), need_pw), self.set_operator)

    def set_operator(self, name: str) -> None:
        """The operator goes into audit records through APPLIANCE_OPERATOR, as with the CLI."""
        self.operator = name
        os.environ["APPLIANCE_OPERATOR"] = name
        self.sub_title = f"operator: {name}"

    def action_help(self) -> None:
        from tui.widgets.dialogs import HelpScreen

        screen = self.screen
        text = getattr(screen, "HELP", "") or "No help for this screen."
        title = getattr(screen, "NAME", "") or screen.__class__.__name__
        self.push_screen(HelpScreen(title, text))


def main(workspace: Path | None = None) -> None:
    ApplianceApp(workspace).run()
