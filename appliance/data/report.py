"""The quality report on the console: rich tables and a token-length histogram drawn in the terminal.

`render_report(report)` returns rich renderables (the TUI can reuse them); `histogram_lines()` is plain
text so it also works in logs and snapshot tests. Nothing here reads record content: the report holds
counts, line numbers, field/column names and label names only.
"""

from __future__ import annotations

from typing import Any

BAR = "█"
PARTIAL = " ▏▎▍▌▋▊▉"


def histogram_lines(hist: dict[str, Any], width: int = 40) -> list[str]:
    """One line per bin: `[lo, hi)  ████▌  count`."""
    edges, counts = hist.get("edges", []), hist.get("counts", [])
    if not counts:
        return ["(no records)"]
    top = max(counts) or 1
    label_w = max(len(f"{edges[i]}–{edges[i + 1]}") for i in range(len(counts)))
    lines = []
    for i, c in enumerate(counts):
        frac = c / top * width
        full = int(frac)
        bar = BAR * full + (PARTIAL[int((frac - full) * 8)] if full < width and c else "")
        label = f"{edges[i]}–{edges[i + 1]}".rjust(label_w)
        lines.append(f"{label} │{bar.ljust(width)}│ {c}")
    return lines


def find_report(ws: Any, art: Any) -> dict[str, Any] | None:
    """The quality report of a dataset, or of the prepared dataset it was scrubbed/augmented from."""
    import json

    seen: set[str] = set()
    cur = art
    augmentation = art.manifest.get("summary", {}).get("augmentation")
    while cur is not None and cur.id not in seen:
        seen.add(cur.id)
        path = cur.path / "report.json"
        if path.is_file():
            report = json.loads(path.read_text("utf-8"))
            if cur.id != art.id:
                report["derived"] = {
                    "dataset": art.id,
                    "from": cur.id,
                    "stage": art.manifest.get("summary", {}).get("stage"),
                    "splits": art.manifest.get("summary", {}).get("splits"),
                }
            if augmentation:
                report["augmentation"] = augmentation
            return report
        parents = [i for i in cur.manifest.get("inputs", []) if i.get("kind") == "dataset"]
        cur = ws.get("dataset", parents[0]["id"]) if (parents and ws is not None) else None
    return None


def render_report(report: dict[str, Any], dataset_id: str | None = None) -> list[Any]:
    from rich.panel import Panel
    from rich.table import Table
    from rich.text import Text

    out: list[Any] = []
    c = report["counts"]
    src = report["source"]
    head = Table(title=f"dataset {dataset_id}" if dataset_id else "dataset", show_header=False)
    head.add_column("what", style="bold")
    head.add_column("value")
    head.add_row("format", f"{report['format']} ({report['schema']})")
    src_desc = f"{src['name']} ({src['type']}"
    if src.get("encoding") and src["type"] == "csv":
        src_desc += (
            f", {src['encoding']}{' BOM' if src.get('bom') else ''}, delimiter {src.get('delimiter')!r}"
        )
    head.add_row("source", src_desc + f", {src.get('bytes', 0):,} bytes)")
    head.add_row("mapping", ", ".join(f"{k}←{v}" for k, v in report["mapping"].items() if v is not None))
    head.add_row(
        "records",
        f"{c['read']:,} read → {c['kept']:,} kept ({c['dropped']:,} dropped, {c['truncated']:,} truncated)",
    )
    head.add_row(
        "splits", ", ".join(f"{k} {c['splits'].get(k, 0):,}" for k in ("train", "validation", "test"))
    )
    if report.get("derived"):
        dv = report["derived"]
        head.add_row(
            "this dataset",
            f"{dv['dataset']} ({dv.get('stage')}) from {dv['from']}; splits now "
            + ", ".join(f"{k} {v:,}" for k, v in (dv.get("splits") or {}).items()),
        )
    if report.get("augmentation"):
        a = report["augmentation"]
        head.add_row("augmented", f"{a.get('records_added', 0):,} train records added")
    out.append(head)

    steps = Table(title="records at each step")
    for col in ("step", "in", "out", "dropped (why)"):
        steps.add_column(col, justify="right" if col in ("in", "out") else "left")
    for s in report["steps"]:
        steps.add_row(
            s["step"],
            f"{s['in']:,}",
            f"{s['out']:,}",
            ", ".join(f"{k} {v:,}" for k, v in s["dropped"].items()),
        )
    out.append(steps)

    miss = Table(title="missing values")
    for col in ("field", "column", "required", "missing", "policy", "dropped", "filled"):
        miss.add_column(col)
    for f, m in report["missing"].items():
        col = m["column"] if not isinstance(m["column"], list) else ",".join(m["column"])
        miss.add_row(
            f,
            str(col or "—"),
            "yes" if m["required"] else "no",
            f"{m['missing']:,}",
            str(m["policy"]),
            f"{m['dropped']:,}",
            f"{m['filled']:,}",
        )
    out.append(miss)

    cleaning = report.get("cleaning", {}).get("fields_changed", {})
    if cleaning:
        out.append(
            Text("cleaning (field values changed): " + ", ".join(f"{k} {v:,}" for k, v in cleaning.items()))
        )

    d = report["duplicates"]
    dup = Table(title="duplicates")
    for col in ("exact", "near", "threshold", "cross-split", "clusters"):
        dup.add_column(col, justify="right")
    dup.add_row(
        f"{d['exact']:,}",
        f"{d['near']:,}",
        str(d["near_threshold"]),
        "—" if d["cross_split"] is None else f"{d['cross_split']:,}",
        f"{d['clusters']:,}",
    )
    out.append(dup)
    if d.get("largest_clusters"):
        cl = Table(title="largest duplicate clusters (source positions)")
        keys = list(d["largest_clusters"][0].keys())
        for k in keys:
            cl.add_column(k)
        for row in d["largest_clusters"][:10]:
            cl.add_row(*[", ".join(map(str, v)) if isinstance(v, list) else str(v) for v in row.values()])
        out.append(cl)

    if report.get("labels"):
        lab = Table(title="label balance")
        lab.add_column("label")
        for s in ("train", "validation", "test"):
            lab.add_column(s, justify="right")
        names = sorted({k for v in report["labels"].values() for k in v})
        for n in names:
            lab.add_row(
                str(n), *[f"{report['labels'][s].get(n, 0):,}" for s in ("train", "validation", "test")]
            )
        out.append(lab)

    t = report["tokens"]
    title = (
        f"token lengths ({t['counter']}; min {t['min']}, p50 {t['p50']}, p90 {t['p90']}, p99 {t['p99']}, "
        f"max {t['max']}" + (f", limit {t['max_tokens']}" if t.get("max_tokens") else "") + ")"
    )
    out.append(Panel("\n".join(histogram_lines(t)), title=title, expand=False))

    if report.get("invalid_examples"):
        ex = Table(title="first dropped rows (position, reason, field)")
        keys = list(report["invalid_examples"][0].keys())
        for k in keys:
            ex.add_column(k)
        for row in report["invalid_examples"][:10]:
            ex.add_row(*[str(row.get(k)) for k in keys])
        out.append(ex)
    return out


__all__ = ["find_report", "histogram_lines", "render_report"]
