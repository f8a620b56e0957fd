"""Review of a scrubbed dataset: original and scrubbed record side by side, findings highlighted by type.

The original text comes from the prepared (input) dataset and is shown on screen only: this screen writes no
record content anywhere. Allow/deny rules go to the workspace policy overlay (appliance.policy.overlay); the
sign-off is `appliance.data.approve_dataset` (an audit record with counts, no text). A later human-feedback
screen (rating and ranking generated responses) follows the same pattern: records in, audited decision out.
"""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Header, Label, Static

from tui.widgets.dialogs import ChoiceDialog, ConfirmDialog, DenyRuleDialog, ErrorDialog, InputDialog
from tui.widgets.review import align, highlight, legend

HELP = """Each record of the scrubbed dataset beside its original. **Left**: the original (on screen only:
never written to a file, log or audit record). **Right**: what training will see. Replaced spans are
highlighted in both, coloured by entity type (legend below); a record the policy dropped says so.

| key | action |
|---|---|
| n / → | next record |
| p / ← | previous record |
| a | mark this record reviewed and go to the next |
| l | add an **allow** rule: pick a flagged span of this record that is not an identifier, or type a pattern (stored in the overlay) |
| d | add a **deny** rule: the SHAPE of an identifier the scrubber missed (a regex, e.g. ACME-\\d{6}) |
| A | **approve** the dataset (audited sign-off) |
| R | reject the dataset (audited) |
| escape | back to Scrub |

Rules go to the workspace overlay `policies/<policy>.review.yaml`; scrub again with it for them to apply.
"""


class ReviewScreen(Screen):
    NAME = "Review"
    HELP = HELP
    BINDINGS = [
        Binding("n,right", "move(1)", "Next"),
        Binding("p,left", "move(-1)", "Prev"),
        Binding("a", "mark", "Reviewed"),
        Binding("l", "allow", "Allow rule"),
        Binding("d", "deny", "Deny rule"),
        Binding("A", "signoff('approve')", "Approve"),
        Binding("R", "signoff('reject')", "Reject"),
        Binding("escape", "back", "Back"),
    ]

    def __init__(self, dataset: Any):
        super().__init__()
        self.dataset = dataset
        self.pairs: list[tuple[str, str, dict[str, Any], dict[str, Any] | None]] = []
        self.fields: list[str] = []
        self.index = 0
        self.marked: set[int] = set()
        self.rules_added = 0
        self.policy = dataset.manifest["config"].get("policy", "hipaa")
        self.policy_ref = self.policy
        self.flagged: list[tuple[str, str]] = []  # (entity, original text) of the shown record: memory only

    @property
    def ws(self) -> Any:
        return self.app.ws  # type: ignore[attr-defined]

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(id="review-status", classes="navbar")
        with Horizontal(id="review-panes"):
            with VerticalScroll(classes="review-pane"):
                yield Label("original (screen only)", classes="section")
                yield Static(id="original")
            with VerticalScroll(classes="review-pane"):
                yield Label("scrubbed", classes="section")
                yield Static(id="scrubbed")
        yield Static(id="review-legend")
        yield Footer()

    def on_mount(self) -> None:
        from appliance.data import read_canonical
        from appliance.scrub import dataset_text_fields

        source_id = next(i["id"] for i in self.dataset.manifest["inputs"] if i["kind"] == "dataset")
        source = self.ws.get("dataset", source_id)
        self.fields = dataset_text_fields(source)
        for split in ("train", "validation", "test"):
            if not source.file(f"{split}.jsonl").is_file():
                continue
            originals = read_canonical(source.file(f"{split}.jsonl"))
            scrubbed_path = self.dataset.file(f"{split}.jsonl")
            scrubbed = (
                {str(r.get("id")): r for r in read_canonical(scrubbed_path)}
                if scrubbed_path.is_file()
                else {}
            )
            for r in originals:
                self.pairs.append((split, str(r.get("id")), r, scrubbed.get(str(r.get("id")))))
        self.show()

    def _text(self, rec: dict[str, Any], field: str) -> str:
        v = rec.get(field)
        if v is None:
            return ""
        if isinstance(v, str):
            return v
        import json

        return json.dumps(v, ensure_ascii=False)

    def show(self) -> None:
        from rich.text import Text

        if not self.pairs:
            self.query_one("#review-status", Static).update(" no records")
            return
        split, rid, orig, scrub = self.pairs[self.index]
        left, right, types = Text(), Text(), []
        self.flagged = []
        for f in self.fields:
            o = self._text(orig, f)
            if not o:
                continue
            left.append(f"{f}\n", style="bold")
            right.append(f"{f}\n", style="bold")
            if scrub is None:
                left.append_text(Text(o))
                right.append("(record dropped by a policy rule)", style="italic")
            else:
                s = self._text(scrub, f)
                lspans, rspans = align(o, s)
                types += [e for _, _, e in rspans]
                self.flagged += [(e, o[a:b]) for a, b, e in lspans if (e, o[a:b]) not in self.flagged]
                left.append_text(highlight(o, lspans))
                right.append_text(highlight(s, rspans))
            left.append("\n\n")
            right.append("\n\n")
        self.query_one("#original", Static).update(left)
        self.query_one("#scrubbed", Static).update(right)
        mark = "✓ reviewed" if self.index in self.marked else ""
        self.query_one("#review-status", Static).update(
            f" {self.dataset.id} · record {self.index + 1}/{len(self.pairs)} ({split}) {mark} · "
            f"reviewed {len(self.marked)} · rules added {self.rules_added} · policy {self.policy}"
        )
        self.query_one("#review-legend", Static).update(
            legend(types) if types else Text("no findings in this record")
        )

    def action_move(self, step: int) -> None:
        if self.pairs:
            self.index = max(0, min(len(self.pairs) - 1, self.index + step))
            self.show()

    def action_mark(self) -> None:
        if self.pairs:
            self.marked.add(self.index)
            self.action_move(1)
            self.show()

    def action_back(self) -> None:
        self.dismiss(None)

    # ---- rules
    def action_allow(self) -> None:
        """Allow rule from a span flagged in this record (screen only until you choose it), or typed."""
        choices = [(f"{entity}: {text}", f"{i}") for i, (entity, text) in enumerate(self.flagged)]
        choices.append(("type a pattern…", "typed"))
        self.app.push_screen(
            ChoiceDialog(
                "Allow rule: which flagged text is NOT an identifier (e.g. a drug or device name)? "
                "Its text is stored in the workspace policy overlay.",
                choices,
            ),
            self._allow_choice,
        )

    def _allow_choice(self, choice: str | None) -> None:
        import re

        if choice is None:
            return
        if choice != "typed":
            self._add_rules(allow=[re.escape(self.flagged[int(choice)][1])])
            return
        self.app.push_screen(
            InputDialog(
                "Allow rule: a regular expression (full match, case-insensitive) for flagged text that is not an "
                "identifier. It is stored in the workspace policy overlay.",
                placeholder="e.g. metformin",
            ),
            lambda v: v and self._add_rules(allow=[v]),
        )

    def action_deny(self) -> None:
        from appliance.policy import load_policy

        entities = sorted(load_policy(self.policy_ref).policy.entities)
        self.app.push_screen(DenyRuleDialog(entities), lambda v: v and self._add_rules(deny=[v]))

    def _add_rules(self, allow: list[str] | None = None, deny: list[tuple[str, str]] | None = None) -> None:
        from appliance.errors import ApplianceError
        from appliance.policy.overlay import add_review_rules

        try:
            path = add_review_rules(self.ws, self.policy_ref, allow=allow, deny=deny)
        except ApplianceError as exc:
            self.app.push_screen(ErrorDialog("rule not added", str(exc)))
            return
        self.policy_ref = str(path)
        self.rules_added += len(allow or []) + len(deny or [])
        self.notify(f"rule added to {path.name}; scrub again with it for the rule to apply")
        self.show()

    # ---- sign-off
    def action_signoff(self, decision: str) -> None:
        reviewed = len(self.marked)
        question = (
            f"{'Approve' if decision == 'approve' else 'Reject'} dataset {self.dataset.id} for training?\n"
            f"Recorded in the audit log: your operator id, {reviewed} records reviewed, "
            f"{self.rules_added} rules added."
        )
        if decision == "approve" and self.rules_added:
            question += (
                "\nNote: rules added in this review apply only after scrubbing again with the overlay."
            )
        self.app.push_screen(ConfirmDialog(question), lambda ok: ok and self._signoff(decision))

    def _signoff(self, decision: str) -> None:
        from appliance.data import approve_dataset
        from appliance.errors import ApplianceError

        try:
            rec = approve_dataset(self.ws, self.dataset, decision, len(self.marked), self.rules_added)
        except ApplianceError as exc:
            self.app.push_screen(ErrorDialog("sign-off failed", str(exc)))
            return
        word = "approved" if decision == "approve" else "rejected"
        self.notify(f"dataset {self.dataset.id} {word} (audit record {rec['seq']})")
        self.dismiss(decision)
