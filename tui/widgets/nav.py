"""The screen bar: every screen with its key, the current one highlighted."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

SCREENS = [
    ("home", "1", "Home"),
    ("data", "2", "Data"),
    ("scrub", "3", "Scrub"),
    ("models", "4", "Models"),
    ("train", "5", "Train"),
    ("evaluate", "6", "Evaluate"),
    ("export", "7", "Export"),
    ("audit", "8", "Audit"),
]


class NavBar(Static):
    DEFAULT_CLASSES = "navbar"

    def __init__(self, current: str):
        super().__init__()
        self.current = current

    def render(self) -> Text:
        t = Text(no_wrap=True, overflow="ellipsis")
        for name, key, label in SCREENS:
            style = "bold reverse" if name == self.current else ""
            t.append(f" {key}", style="bold " + style)
            t.append(f" {label} ", style=style)
        return t
