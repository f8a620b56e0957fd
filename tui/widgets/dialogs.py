"""Modal dialogs: confirmation, error, text input, file picker, operator identity, help."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, DirectoryTree, Input, Label, Markdown, Select, Static


class ConfirmDialog(ModalScreen[bool]):
    """Yes/no question; y/enter = yes, n/escape = no."""

    BINDINGS = [Binding("y", "answer(True)", "Yes"), Binding("n,escape", "answer(False)", "No")]

    def __init__(self, question: str, yes: str = "Yes", no: str = "No"):
        super().__init__(classes="dialog")
        self.question, self.yes, self.no = question, yes, no

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box"):
            yield Static(self.question, classes="dialog-text", markup=False)
            with Horizontal(classes="dialog-buttons"):
                yield Button(self.yes, variant="primary", id="yes")
                yield Button(self.no, id="no")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")

    def action_answer(self, value: bool) -> None:
        self.dismiss(value)


class ErrorDialog(ModalScreen[None]):
    """What failed and what to do (the message of an ApplianceError, never raw data)."""

    BINDINGS = [Binding("escape,enter", "close", "Close")]

    def __init__(self, title: str, message: str):
        super().__init__(classes="dialog")
        self.title_text, self.message = title, message

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box error-box"):
            yield Label(self.title_text, classes="dialog-title")
            yield Static(self.message, classes="dialog-text", markup=False)
            with Horizontal(classes="dialog-buttons"):
                yield Button("OK", variant="error", id="ok")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(None)

    def action_close(self) -> None:
        self.dismiss(None)


class InputDialog(ModalScreen[str | None]):
    """One line of text (enter submits, escape cancels)."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, prompt: str, value: str = "", placeholder: str = "", password: bool = False):
        super().__init__(classes="dialog")
        self.prompt, self.value, self.placeholder, self.password = prompt, value, placeholder, password

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box"):
            yield Static(self.prompt, classes="dialog-text", markup=False)
            yield Input(
                self.value,
                placeholder=self.placeholder,
                password=self.password,
                compact=True,
                id="dialog-input",
            )

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.dismiss(event.value.strip() or None)

    def action_cancel(self) -> None:
        self.dismiss(None)


class ChoiceDialog(ModalScreen[str | None]):
    """Pick one of a few labelled choices (enter), or escape."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, prompt: str, choices: list[tuple[str, str]]):
        super().__init__(classes="dialog")
        self.prompt, self.choices = prompt, choices

    def compose(self) -> ComposeResult:
        from rich.text import Text
        from textual.widgets import OptionList
        from textual.widgets.option_list import Option

        with Vertical(classes="dialog-box"):
            yield Static(self.prompt, classes="dialog-text", markup=False)
            yield OptionList(*[Option(Text(label), id=value) for label, value in self.choices], id="choices")

    def on_option_list_option_selected(self, event: Any) -> None:
        self.dismiss(event.option.id)

    def action_cancel(self) -> None:
        self.dismiss(None)


class DenyRuleDialog(ModalScreen[tuple[str, str] | None]):
    """A deny rule: the entity type and a regular expression of the identifier's shape (not its value)."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, entities: list[str]):
        super().__init__(classes="dialog")
        self.entities = entities

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box"):
            yield Static(
                "Deny rule: text matching this pattern is always scrubbed as the chosen type.\n"
                "Type the identifier's SHAPE (e.g. ACME-\\d{6}), not a real value: the rule is stored "
                "in the workspace policy overlay.",
                classes="dialog-text",
                markup=False,
            )
            yield Select(
                [(e, e) for e in self.entities], prompt="entity type", compact=True, id="deny-entity"
            )
            yield Input(placeholder=r"regular expression, e.g. ACME-\d{6}", compact=True, id="deny-regex")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Add rule", variant="primary", id="add")
                yield Button("Cancel", id="cancel")

    def _submit(self) -> None:
        entity = self.query_one("#deny-entity", Select).value
        regex = self.query_one("#deny-regex", Input).value.strip()
        if entity is Select.NULL or not regex:
            self.notify("choose an entity type and type a pattern", severity="warning")
            return
        self.dismiss((str(entity), regex))

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self._submit()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "add":
            self._submit()
        else:
            self.dismiss(None)

    def action_cancel(self) -> None:
        self.dismiss(None)


class FilePickerDialog(ModalScreen[Path | None]):
    """Pick a file (or a folder with `folders=True`) from a tree; the path can also be typed."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, root: Path, title: str, folders: bool = False):
        super().__init__(classes="dialog")
        self.root, self.title_text, self.folders = Path(root), title, folders

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box picker-box"):
            yield Label(self.title_text, classes="dialog-title")
            yield DirectoryTree(self.root, id="picker-tree")
            yield Input(str(self.root), placeholder="path (enter to choose)", compact=True, id="picker-path")

    def on_directory_tree_file_selected(self, event: DirectoryTree.FileSelected) -> None:
        self.dismiss(Path(event.path))

    def on_directory_tree_directory_selected(self, event: DirectoryTree.DirectorySelected) -> None:
        self.query_one("#picker-path", Input).value = str(event.path)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        p = Path(event.value).expanduser()
        if p.is_file() or (self.folders and p.is_dir()):
            self.dismiss(p)
        else:
            self.notify(f"not a {'file or folder' if self.folders else 'file'}: {p}", severity="warning")

    def action_cancel(self) -> None:
        self.dismiss(None)


class OperatorDialog(ModalScreen[str]):
    """Who is working (goes into every audit record as the actor), and the workspace passphrase if unset."""

    def __init__(self, default: str, need_passphrase: bool):
        super().__init__(classes="dialog")
        self.default, self.need_passphrase = default, need_passphrase

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box"):
            yield Label("Operator sign-in", classes="dialog-title")
            yield Static(
                "Your name or id is written into every audit record of this session.", classes="dialog-text"
            )
            yield Input(self.default, placeholder="operator id", compact=True, id="operator")
            if self.need_passphrase:
                yield Input(
                    placeholder="workspace passphrase (unlocks the audit keys)",
                    password=True,
                    compact=True,
                    id="passphrase",
                )
            yield Button("Start", variant="primary", id="start")

    def _submit(self) -> None:
        name = self.query_one("#operator", Input).value.strip()
        if not name:
            self.notify("an operator id is required", severity="warning")
            return
        if self.need_passphrase:
            pw = self.query_one("#passphrase", Input).value
            if not pw:
                self.notify("the passphrase is required", severity="warning")
                return
            from appliance.audit.crypto import PASSPHRASE_ENV

            os.environ[PASSPHRASE_ENV] = pw  # read by the audit log, as the CLI reads it
        self.dismiss(name)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self._submit()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self._submit()


GLOBAL_KEYS = """
## Everywhere
| key | action |
|---|---|
| 1 … 8 | Home, Data, Scrub, Models, Train, Evaluate, Export, Audit |
| ctrl+p | command palette (every screen and action by name) |
| F1 | this help |
| tab / shift+tab | move between fields |
| q | quit |
"""


class HelpScreen(ModalScreen[None]):
    """F1: the focused screen's help and the global keys."""

    BINDINGS = [Binding("escape,f1,q", "close", "Close")]

    def __init__(self, title: str, text: str):
        super().__init__(classes="dialog")
        self.title_text, self.text = title, text

    def compose(self) -> ComposeResult:
        with VerticalScroll(classes="dialog-box help-box"):
            yield Markdown(f"# {self.title_text}\n\n{self.text}\n{GLOBAL_KEYS}")

    def action_close(self) -> None:
        self.dismiss(None)
