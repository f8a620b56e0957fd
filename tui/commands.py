"""Command palette (ctrl+p): one command per screen, plus the focused screen's own actions."""

from __future__ import annotations

from functools import partial

from textual.command import DiscoveryHit, Hit, Hits, Provider

from tui.widgets.nav import SCREENS


class ScreenCommands(Provider):
    def _commands(self) -> list[tuple[str, str, object]]:
        app = self.app
        out: list[tuple[str, str, object]] = []
        for name, key, label in SCREENS:
            out.append((f"Go to {label}", f"screen {key}", partial(app.switch_mode, name)))
        screen = self.screen
        for binding in getattr(screen, "BINDINGS", []):
            if isinstance(binding, tuple):
                continue
            if binding.description and binding.show:
                out.append(
                    (
                        f"{binding.description}",
                        f"{screen.__class__.__name__}: key {binding.key}",
                        partial(app.run_action, binding.action, screen),
                    )
                )
        out.append(("Help for this screen", "F1", app.action_help))
        out.append(("Quit", "q", app.action_quit))
        return out

    async def discover(self) -> Hits:
        for title, help_text, cb in self._commands():
            yield DiscoveryHit(title, cb, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for title, help_text, cb in self._commands():
            score = matcher.match(title)
            if score > 0:
                yield Hit(score, matcher.highlight(title), cb, help=help_text)
