"""The printable period report of an audit bundle (report.html).

Built from the decrypted records alone (plus the lineage the bundle carries): who did what and when, each
dataset with its scrub statistics and its sign-off, each run with its gate verdict, each export with its
hashes and lineage, and the verification result. Records before the period give context (how a dataset
in the period was made, the sign-offs and verdicts in force at its end) and are marked as such.
"""

from __future__ import annotations

import html
from typing import Any

from appliance.audit.verify import VerifyResult
from appliance.workspace import ID_PREFIX

KIND_OF_PREFIX = {prefix: kind for kind, prefix in ID_PREFIX.items()}
# Events that create an artifact, and the kind they create.
CREATES = {
    "data.prepare": "dataset",
    "data.augment": "dataset",
    "scrub.dataset": "dataset",
    "model.import": "model",
    "train.complete": "run",
    "export.onnx": "export",
}
SIGNOFF = (
    "dataset.approve"  # artifacts {dataset id: manifest sha256}, details {decision, reviewed_records, ...}
)
EVALUATION = "evaluate.complete"
OVERRIDE = "export.override"


def _e(x: Any) -> str:
    return html.escape(str(x))


def _kind(name: str) -> str | None:
    """The artifact kind of an artifacts key that is an artifact id (not a file label such as 'run-x/a.bin')."""
    if "/" in name or "-" not in name:
        return None
    return KIND_OF_PREFIX.get(name.split("-", 1)[0])


def _ids(rec: dict[str, Any], kind: str) -> list[str]:
    return [k for k in rec.get("artifacts", {}) if _kind(k) == kind]


def _details(rec: dict[str, Any]) -> dict[str, Any]:
    d = rec.get("details")
    return d if isinstance(d, dict) else {}


def _short(digest: Any) -> str:
    return f"{str(digest)[:16]}…" if isinstance(digest, str) and len(digest) > 16 else str(digest)


def _summarize(details: dict[str, Any]) -> str:
    return ", ".join(f"{k}={v}" for k, v in details.items() if not isinstance(v, (dict, list)))


class _History:
    """Which artifact each record created, and lookups over all records up to the period's end."""

    def __init__(self, history: list[dict[str, Any]]):
        self.records = history
        self.created: dict[str, dict[str, Any]] = {}  # artifact id -> the record that created it
        self.primary: dict[int, str] = {}  # record seq -> id of the artifact it created
        seen: set[str] = set()
        for r in history:
            kind = CREATES.get(r["event"])
            if kind:
                candidates = _ids(r, kind)
                # A scrub or an augmentation names its source dataset too; that one appeared before. Ids start
                # with their creation time, so among several unseen ones the newest is the made one.
                new = [c for c in candidates if c not in seen] or candidates
                if new:
                    made = max(new)
                    self.primary[r["seq"]] = made
                    self.created.setdefault(made, r)
            seen.update(k for k in r.get("artifacts", {}) if _kind(k))

    def about(self, art_id: str, event: str) -> list[dict[str, Any]]:
        return [r for r in self.records if r["event"] == event and art_id in r.get("artifacts", {})]


def render_report(
    records: list[dict[str, Any]],
    lineage: list[dict[str, Any]],
    res: VerifyResult,
    period: dict[str, Any],
    history: list[dict[str, Any]] | None = None,
) -> str:
    """`records`: the decrypted records of the period; `history`: all records (context), default `records`."""
    since, until = period.get("from"), period.get("to")
    upto = [r for r in (history if history is not None else records) if until is None or r["time"] <= until]
    hist = _History(upto)

    def when(r: dict[str, Any]) -> str:
        before = " (before this period)" if since is not None and r["time"] < since else ""
        return f"{_e(r['actor'])}, {_e(r['time'])}{before}"

    def first_seen(kind: str) -> list[str]:
        out: list[str] = []
        for r in records:
            for k in _ids(r, kind):
                if k not in out:
                    out.append(k)
        return out

    verdict = "PASS" if res.ok else "FAIL"
    color = "#1b7f3b" if res.ok else "#b00020"
    sections = [
        _datasets(first_seen("dataset"), hist, when),
        _scrubbed_files([r for r in records if r["event"] == "scrub.file"], when),
        _runs(first_seen("run"), hist, when),
        _exports(first_seen("export"), hist, lineage, when),
    ]
    rows = "".join(
        f"<tr><td>{r['seq']}</td><td>{_e(r['time'])}</td><td>{_e(r['actor'])}</td><td>{_e(r['event'])}</td>"
        f"<td>{_e(', '.join(r['artifacts']))}</td><td>{_e(_summarize(_details(r)))}</td></tr>"
        for r in records
    )
    return f"""<!doctype html>
<html><head><meta charset="utf-8"><title>Audit report</title>
<style>body{{font-family:sans-serif;margin:2em}}table{{border-collapse:collapse;margin-bottom:2em}}
td,th{{border:1px solid #999;padding:4px 8px;font-size:12px;vertical-align:top}}
.verdict{{color:{color};font-weight:bold}}.pass{{color:#1b7f3b;font-weight:bold}}
.fail{{color:#b00020;font-weight:bold}}.none{{color:#8a6d00;font-weight:bold}}
code{{font-size:11px}}@media print{{body{{margin:0}}}}</style></head><body>
<h1>Compliance Appliance audit report</h1>
<p>Period: {_e(since or "start")} to {_e(until or "now")}. Records in period: {len(records)}.</p>
<h2>Verification: <span class="verdict">{verdict}</span></h2><p>{_e(res.describe())}</p>
{"".join(sections)}
<h2>Who did what, when</h2><table><tr><th>seq</th><th>time (UTC)</th><th>actor</th><th>event</th>
<th>artifacts</th><th>details</th></tr>{rows}</table>
</body></html>
"""


def _made(rec: dict[str, Any] | None, art_id: str, when: Any) -> str:
    if rec is None:
        return '<span class="none">no record of its creation</span>'
    others = [
        k if _kind(k) else f"{k} {_short(v)}"
        for k, v in rec.get("artifacts", {}).items()
        if k != art_id and "/" not in k
    ]
    source = _details(rec).get("source")  # a raw source file: its keyed HMAC, in the encrypted body
    if isinstance(source, str):
        others.append(f"source {_short(source)}")
    src = f" from {_e(', '.join(others))}" if others else ""
    return f"{_e(rec['event'])}{src}<br>{when(rec)}<br>manifest <code>{_e(_short(rec['artifacts'][art_id]))}</code>"


def _scrub_stats(d: dict[str, Any]) -> str:
    residual = d.get("residual") if isinstance(d.get("residual"), dict) else {}
    by_type = d.get("entities_by_type") or {}
    types = (
        ", ".join(f"{_e(k)} {_e(v)}" for k, v in by_type.items())
        if isinstance(by_type, dict)
        else _e(by_type)
    )
    return (
        f"policy {_e(d.get('policy', '?'))} <code>{_e(_short(d.get('policy_sha256', '')))}</code><br>"
        f"records {_e(d.get('records_in', '?'))} in, {_e(d.get('records_out', '?'))} out, "
        f"{_e(d.get('records_dropped', 0))} dropped<br>"
        f"entities found {_e(d.get('entities_found', '?'))}: {types or 'none'}<br>"
        f"residual risk max {_e(residual.get('max_risk', '?'))}"
    )


def _signoffs(art_id: str, made: dict[str, Any] | None, hist: _History, when: Any) -> str:
    approvals = hist.about(art_id, SIGNOFF)
    if not approvals:
        return '<span class="none">no sign-off recorded</span>'
    parts = []
    for r in approvals:
        d = _details(r)
        decision = str(d.get("decision", "?"))
        cls, word = {"approve": ("pass", "APPROVED"), "reject": ("fail", "REJECTED")}.get(
            decision, ("none", decision.upper())
        )
        line = (
            f'<span class="{cls}">{_e(word)}</span> by {when(r)}; reviewed {_e(d.get("reviewed_records", "?"))} '
            f"records, {_e(d.get('rules_added', 0))} rules added"
        )
        signed = r["artifacts"][art_id]
        if made is not None and signed != made["artifacts"].get(art_id):
            line += (
                f' <span class="fail">(signed manifest <code>{_e(_short(signed))}</code> is not the '
                f"dataset's <code>{_e(_short(made['artifacts'].get(art_id)))}</code>)</span>"
            )
        parts.append(line)
    return "<br>".join(parts)


def _datasets(ids: list[str], hist: _History, when: Any) -> str:
    rows = ""
    for ds in ids:
        made = hist.created.get(ds)
        rows += (
            f"<tr><td><code>{_e(ds)}</code></td><td>{_made(made, ds, when)}</td>"
            f"<td>{_scrub_stats(_details(made)) if made and made['event'] == 'scrub.dataset' else 'not scrubbed'}"
            f"</td><td>{_signoffs(ds, made, hist, when)}</td></tr>"
        )
    return (
        "<h2>Datasets</h2><table><tr><th>dataset</th><th>made by</th><th>scrub statistics</th>"
        f"<th>sign-off</th></tr>{rows or '<tr><td colspan=4>none in this period</td></tr>'}</table>"
    )


def _scrubbed_files(recs: list[dict[str, Any]], when: Any) -> str:
    if not recs:
        return ""
    rows = "".join(
        f"<tr><td><code>{_e(_short(_details(r).get('input') or r['artifacts'].get('input', '')))}</code></td>"
        f"<td><code>{_e(_short(r['artifacts'].get('output', '')))}</code></td>"
        f"<td>{_scrub_stats(_details(r))}</td><td>{when(r)}</td></tr>"
        for r in recs
    )
    return (
        "<h2>Files scrubbed</h2><table><tr><th>input (keyed HMAC)</th><th>output sha256</th>"
        f"<th>scrub statistics</th><th>by / when</th></tr>{rows}</table>"
    )


def _gate(hist: _History, run: str, when: Any) -> str:
    evals = hist.about(run, EVALUATION)
    if not evals:
        return '<span class="none">not evaluated</span>'
    parts = []
    for r in evals:
        d = _details(r)
        v = str(d.get("verdict", "?"))
        cls = {"pass": "pass", "fail": "fail"}.get(v, "none")
        failed = d.get("failed_rules") or []
        why = f"; failed: {_e(', '.join(map(str, failed)))}" if failed else ""
        parts.append(
            f'<span class="{cls}">{_e(v.upper())}</span> (gates policy {_e(d.get("gates_policy", "?"))}{why}) '
            f"by {when(r)}"
        )
    return "<br>".join(parts)


def _runs(ids: list[str], hist: _History, when: Any) -> str:
    rows = ""
    for run in ids:
        made = hist.created.get(run)
        if made is not None:
            d = _details(made)
            trained = (
                f"{_e(d.get('method', '?'))} on {_e(d.get('device', '?'))}, {_e(d.get('steps', '?'))} steps"
                f"<br>data {_e(', '.join(_ids(made, 'dataset')) or '?')}; base model "
                f"{_e(', '.join(_ids(made, 'model')) or '?')}<br>{when(made)}"
            )
        else:
            trained = '<span class="none">no record of its training</span>'
        overrides = "".join(
            f'<br><span class="fail">export override</span>: {_e(_details(r).get("reason", ""))} by {when(r)}'
            for r in hist.about(run, OVERRIDE)
        )
        exports = [hist.primary[r["seq"]] for r in hist.about(run, "export.onnx") if r["seq"] in hist.primary]
        rows += (
            f"<tr><td><code>{_e(run)}</code></td><td>{trained}</td><td>{_gate(hist, run, when)}{overrides}</td>"
            f"<td>{_e(', '.join(exports)) or 'none'}</td></tr>"
        )
    return (
        "<h2>Runs</h2><table><tr><th>run</th><th>training</th><th>gate verdict</th><th>exports</th></tr>"
        f"{rows or '<tr><td colspan=4>none in this period</td></tr>'}</table>"
    )


def _lineage_html(node: dict[str, Any]) -> str:
    sha = node.get("manifest_sha256") or node.get("sha256") or ""
    label = f"{_e(node.get('kind', '?'))} <code>{_e(node.get('id', '?'))}</code>"
    if sha:  # a raw data file's is a keyed HMAC ("hmac-sha256:..."), which says so itself
        label += f" {'' if str(sha).startswith('hmac-') else 'sha256 '}<code>{_e(sha)}</code>"
    if node.get("missing"):
        label += ' <span class="none">(no longer in the workspace)</span>'
    children = "".join(f"<li>{_lineage_html(c)}</li>" for c in node.get("inputs", []) if isinstance(c, dict))
    return label + (f"<ul>{children}</ul>" if children else "")


def _exports(ids: list[str], hist: _History, lineage: list[dict[str, Any]], when: Any) -> str:
    trees = {node.get("id"): node for node in lineage if isinstance(node, dict)}
    rows = ""
    for exp in ids:
        made = hist.created.get(exp)
        if made is not None:
            d = _details(made)
            gates = "passed" if d.get("gates_passed") else "did not pass"
            how = (
                f"{when(made)}<br>run {_e(', '.join(_ids(made, 'run')) or '?')}; release gates {gates}"
                f"{'; exported by override' if d.get('override') else ''}<br>{_e(_summarize(d))}"
            )
            hashes = "".join(
                f"<tr><td>{_e(k)}</td><td><code>{_e(v)}</code></td></tr>"
                for k, v in made["artifacts"].items()
            )
            hashes = f"<table>{hashes}</table>"
        else:
            how, hashes = '<span class="none">no record of this export</span>', ""
        tree = trees.get(exp)
        tree_html = f"<ul><li>{_lineage_html(tree)}</li></ul>" if tree else "not in the bundle's lineage"
        rows += f"<tr><td><code>{_e(exp)}</code><br>{how}</td><td>{hashes}</td><td>{tree_html}</td></tr>"
    return (
        "<h2>Exports</h2><table><tr><th>export</th><th>hashes (sha256)</th><th>lineage</th></tr>"
        f"{rows or '<tr><td colspan=3>none in this period</td></tr>'}</table>"
    )
