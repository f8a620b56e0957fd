"""`appliance data ingest|prepare|show|augment`: the data sub-app (wired into `appliance.cli` as `data`).

Thin: each command calls an entry point of `appliance.data`. Imports stay lazy so `appliance --help`
stays fast. Output never contains record content (counts, positions, column/field/label names only).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

data_app = typer.Typer(help="Ingest, prepare and inspect datasets.", no_args_is_help=True)

WorkspaceOpt = Annotated[
    Path | None,
    typer.Option("--workspace", "-w", help="workspace folder (default: $APPLIANCE_HOME, else ./workspace)"),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="print the JSON instead of tables")]
FORMAT_HELP = "instruction | chat | classification | summarization | preference | ranking | feedback"


def _console() -> Any:
    from rich.console import Console

    return Console()


def _parse_fields(pairs: list[str] | None) -> dict[str, Any]:
    from appliance.errors import BadInput

    out: dict[str, Any] = {}
    for p in pairs or []:
        if "=" not in p:
            raise BadInput(f"--field takes CANONICAL=COLUMN (e.g. prompt=question), got {p!r}")
        k, v = (s.strip() for s in p.split("=", 1))
        out[k] = [c.strip() for c in v.split(",")] if k == "responses" and "," in v else v
    return out


@data_app.command("ingest")
def data_ingest(
    file: Annotated[Path, typer.Argument(help="JSONL, CSV/TSV or Parquet file")],
    format: Annotated[
        str | None, typer.Option("--format", "-f", help=FORMAT_HELP + " (default: guessed)")
    ] = None,
    field: Annotated[
        list[str] | None,
        typer.Option("--field", help="CANONICAL=COLUMN mapping (repeatable), e.g. prompt=question"),
    ] = None,
    encoding: Annotated[str | None, typer.Option(help="CSV encoding (default: sniffed)")] = None,
    delimiter: Annotated[str | None, typer.Option(help="CSV delimiter (default: sniffed)")] = None,
    input_type: Annotated[str, typer.Option("--type", help="auto | jsonl | csv | parquet")] = "auto",
    write_config: Annotated[
        Path | None, typer.Option("--write-config", help="save the proposed data: section as YAML here")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Analyze a file and propose a data: config (format, encoding, delimiter, columns, mapping); writes no dataset."""
    from pydantic import ValidationError

    from appliance.config import DATA_FORMATS, FieldsConfig, InputConfig
    from appliance.data import ingest
    from appliance.errors import BadInput

    if format is not None and format not in DATA_FORMATS:
        raise BadInput(f"unknown format {format!r}; use one of: {', '.join(DATA_FORMATS)}")
    try:
        fields = FieldsConfig.model_validate(_parse_fields(field))
        inp = InputConfig.model_validate(
            {"type": input_type, "encoding": encoding, "delimiter": delimiter if delimiter != "\\t" else "\t"}
        )
    except ValidationError as exc:
        e = exc.errors()[0]
        raise BadInput(f"--{'.'.join(map(str, e['loc']))}: {e['msg']}") from None
    from appliance.data.survey import for_output

    res = ingest(file, format, fields, inp)
    if write_config:
        import os

        import yaml

        # the source path as the saved config will resolve it (relative to the config file's folder)
        res["config"]["data"]["source"] = os.path.relpath(file.resolve(), write_config.resolve().parent)

        from appliance.workspace import write_atomic

        write_atomic(write_config, yaml.safe_dump(res["config"], sort_keys=False, allow_unicode=True))
    res = for_output(res)  # CSV header cells that may be a record's values are shown by position only
    if as_json:
        print(json.dumps(res, indent=2, ensure_ascii=False))
        return
    _print_ingest(res, write_config)


def _print_ingest(res: dict[str, Any], written: Path | None) -> None:
    import yaml
    from rich.markup import escape
    from rich.table import Table

    con = _console()
    s = res["source"]
    t = Table(title=f"{s['name']}", show_header=False)
    t.add_column("what", style="bold")
    t.add_column("value")
    t.add_row("type", s["type"])
    if s["type"] == "csv":
        t.add_row("encoding", f"{s['encoding']}{' (BOM)' if s['bom'] else ''}")
        t.add_row("delimiter", repr(s["delimiter"]))
    t.add_row("size", f"{s['bytes']:,} bytes")
    t.add_row(res["rows_counted_as"], f"{res['rows']:,}")
    t.add_row("format", f"{res['format']}" + (" (guessed)" if res["guessed_format"] == res["format"] else ""))
    if res["profile_problems"]:
        t.add_row(
            "problems in the first rows", ", ".join(f"{k} {v}" for k, v in res["profile_problems"].items())
        )
    con.print(t)
    cols = Table(title=f"columns (types over the first {res['profiled_rows']:,} rows)")
    cols.add_column("column")
    cols.add_column("types")
    cols.add_column("mapped to")
    back = {}
    for f, c in res["mapping"].items():
        for col in c if isinstance(c, list) else [c]:
            if col is not None:
                back[col] = f
    hidden = {h["position"]: h["types"] for h in res.get("hidden_columns", [])}
    for i, c in enumerate(res["columns"], start=1):
        types = hidden[i] if c is None else res["column_types"].get(c, {})
        cols.add_row(
            f"[dim]#{i} (name not shown)[/]" if c is None else escape(c),
            ", ".join(f"{k} {v}" for k, v in types.items()),
            "" if c is None else back.get(c, ""),
        )
    con.print(cols)
    if hidden:
        con.print(
            f"{len(hidden)} of {len(res['columns'])} column names are not shown: they are not known field names, "
            "and in a CSV file without a header row they would be the first record's values. Map columns by "
            "their header names with --field CANONICAL=COLUMN (names you give are shown).",
            markup=False,
        )
    if res["unmapped_required"]:
        con.print(
            f"[red]no column found for {', '.join(res['unmapped_required'])}[/]: "
            "set them with --field CANONICAL=COLUMN or in data.fields"
        )
    con.print("[bold]proposed config[/] (check the mapping, then `appliance data prepare --config FILE`):")
    con.print(
        yaml.safe_dump(res["config"], sort_keys=False, allow_unicode=True), markup=False, highlight=False
    )
    if written:
        con.print(f"written to {written}")


@data_app.command("prepare")
def data_prepare(
    config: Annotated[Path, typer.Option("--config", "-c", help="pipeline YAML config (its data: section)")],
    tokenizer: Annotated[
        Path | None,
        typer.Option(help="model/tokenizer folder for token counts (default: data.clean.tokenizer)"),
    ] = None,
    workspace: WorkspaceOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Ingest, clean, dedupe and split the dataset named in the config's data: section."""
    from appliance.cli import _boot, _progress, _writable_workspace
    from appliance.config import load_pipeline_config
    from appliance.data import prepare_dataset

    _boot()
    cfg, base_dir = load_pipeline_config(config)
    ws = _writable_workspace(workspace)
    with _progress() as sink:
        art = prepare_dataset(ws, cfg.data, base_dir, sink, tokenizer=tokenizer)
    _show(art, as_json)


@data_app.command("show")
def data_show(
    dataset_id: Annotated[str, typer.Argument(help="dataset id (see the workspace's datasets/)")],
    workspace: WorkspaceOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Show a dataset's quality report: counts per step, drops, missing values, duplicates, labels, lengths."""
    from appliance.workspace import Workspace

    ws = Workspace.open(workspace)
    _show(ws.get("dataset", dataset_id), as_json, ws)


@data_app.command("augment")
def data_augment(
    dataset_id: Annotated[str, typer.Argument(help="a scrubbed dataset id")],
    copies: Annotated[int, typer.Option(help="augmented copies per train record with placeholders")] = 1,
    templates: Annotated[bool, typer.Option(help="also vary the prompt wording")] = False,
    seed: Annotated[int, typer.Option(help="seed for the fake values and templates")] = 7,
    workspace: WorkspaceOpt = None,
) -> None:
    """Entity-swap augmentation of a scrubbed dataset's train split (placeholders → varied fake values)."""
    from appliance.cli import _progress, _writable_workspace
    from appliance.config import AugmentConfig
    from appliance.data import augment_dataset

    ws = _writable_workspace(workspace)
    cfg = AugmentConfig(entity_swap=copies, templates=templates, seed=seed)
    with _progress() as sink:
        art = augment_dataset(ws, ws.get("dataset", dataset_id), cfg, sink)
    a = art.manifest["summary"]["augmentation"]
    _console().print(
        f"dataset {art.id}: {a['records_added']} train records added ({a['records_with_placeholders']}"
        f" of {a['train_records']} train records had placeholders)"
    )


@data_app.command("approve")
def data_approve(
    dataset_id: Annotated[str, typer.Argument(help="a scrubbed dataset id")],
    reject: Annotated[
        bool, typer.Option("--reject", help="record a rejection instead of an approval")
    ] = False,
    reviewed: Annotated[int, typer.Option(help="records you reviewed", min=0)] = 0,
    rules_added: Annotated[int, typer.Option(help="allow/deny rules your review added", min=0)] = 0,
    workspace: WorkspaceOpt = None,
) -> None:
    """Sign off a scrubbed dataset after review (audited as dataset.approve; no free text is recorded)."""
    from appliance.cli import _writable_workspace
    from appliance.data import approve_dataset

    ws = _writable_workspace(workspace)
    decision = "reject" if reject else "approve"
    rec = approve_dataset(ws, ws.get("dataset", dataset_id), decision, reviewed, rules_added)
    word = "approved" if decision == "approve" else "rejected"
    _console().print(f"dataset {dataset_id}: {word} (audit record {rec['seq']})", markup=False)


def _show(art: Any, as_json: bool, ws: Any = None) -> None:
    from appliance.data.report import find_report, render_report

    report = find_report(ws, art)
    if report is not None and report.get("source", {}).get("type") == "csv":
        from appliance.data.survey import shown_columns

        # reports written before header cells were screened may hold a headerless file's first record
        src = report["source"]
        src["columns"] = shown_columns("csv", src.get("columns") or [], report.get("mapping") or {})
    m = art.manifest
    if as_json:
        print(
            json.dumps(
                {
                    "id": m["id"],
                    "created": m["created"],
                    "inputs": m["inputs"],
                    "summary": m["summary"],
                    "report": report,
                },
                indent=2,
                ensure_ascii=False,
            )
        )
        return
    con = _console()
    if report is None:
        con.print_json(
            json.dumps(
                {"id": m["id"], "created": m["created"], "inputs": m["inputs"], "summary": m["summary"]}
            )
        )
        return
    for r in render_report(report, art.id):
        con.print(r)


__all__ = ["data_app"]
