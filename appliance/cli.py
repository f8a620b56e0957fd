"""The `appliance` command line (Typer). Thin: each command calls one stage entry point.

Start-up stays fast: torch, transformers and presidio are imported inside the commands that use them.
Exit codes: 0 ok, 1 the operation failed, 2 bad usage or bad input (ARCHITECTURE.md §4).
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import sys
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer

from appliance.data.cli import data_app
from appliance.errors import ApplianceError
from appliance.evaluate.cli import evaluate_command, runs_app

app = typer.Typer(
    help="Compliance Appliance: scrub, fine-tune, validate, export and audit an LLM, offline.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,  # rich tracebacks would print local variables, which can hold PII
    add_completion=False,
)
models_app = typer.Typer(help="Import and list base models.", no_args_is_help=True)
export_app = typer.Typer(help="Export a trained run for serving.", no_args_is_help=True)
audit_app = typer.Typer(help="Inspect and verify the audit log.", no_args_is_help=True)
app.add_typer(data_app, name="data")  # appliance/data/cli.py
app.add_typer(runs_app, name="runs")  # appliance/evaluate/cli.py
app.command("evaluate")(evaluate_command)
app.add_typer(models_app, name="models")
app.add_typer(export_app, name="export")
app.add_typer(audit_app, name="audit")

DEMO_PASSPHRASE = "appliance-demo"

WorkspaceOpt = Annotated[
    Path | None,
    typer.Option("--workspace", "-w", help="workspace folder (default: $APPLIANCE_HOME, else ./workspace)"),
]


def _console() -> Any:
    from rich.console import Console

    return Console()


def _workspace(path: Path | None) -> Any:
    from appliance.workspace import Workspace

    return Workspace.open(path)


def _writable_workspace(path: Path | None) -> Any:
    """Open the workspace and unlock its audit keys first, so a missing passphrase fails before any work."""
    from appliance.audit import AuditLog

    ws = _workspace(path)
    AuditLog(ws.audit_dir, ws.keys_dir).keyring()
    return ws


@contextmanager
def _progress():  # noqa: ANN202
    from appliance.events import RichSink

    with RichSink() as sink:
        yield sink


def _boot() -> None:
    from appliance.offline import enforce_offline

    enforce_offline()
    _quiet_libraries()


def _quiet_libraries() -> None:
    """Our progress bars replace the libraries' own; their warnings go to the log level ERROR."""
    import logging
    import warnings

    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    os.environ.setdefault("TQDM_DISABLE", "1")  # e.g. transformers' GGUF loader uses tqdm directly
    warnings.filterwarnings("ignore", category=FutureWarning)
    warnings.filterwarnings("ignore", category=UserWarning, module=r"torch\.onnx.*")
    warnings.filterwarnings("ignore", message=r".*Converting a tensor with requires_grad=True.*")
    # bitsandbytes' CPU 4-bit op has no autograd kernel registered; gradients flow to LoRA through it (tested).
    warnings.filterwarnings("ignore", message=r".*an autograd kernel was not registered.*")
    for name in ("torch.onnx", "onnxscript", "presidio-analyzer", "presidio-anonymizer", "transformers"):
        logging.getLogger(name).setLevel(logging.ERROR)


@app.command()
def demo(workspace: WorkspaceOpt = None) -> None:
    """Run the whole pipeline on the embedded model and the synthetic sample data."""
    from appliance.pipeline import demo_config_path, run_config_file

    _boot()
    from appliance.audit.crypto import PASSPHRASE_ENV

    if not os.environ.get(PASSPHRASE_ENV):
        os.environ[PASSPHRASE_ENV] = DEMO_PASSPHRASE
        print(
            f"note: {PASSPHRASE_ENV} is not set; the demo seals this workspace's audit keys with the demo "
            f"passphrase {DEMO_PASSPHRASE!r}. Set {PASSPHRASE_ENV} for real work.",
            file=sys.stderr,
        )
    ws = _writable_workspace(workspace)
    with _progress() as sink:
        res = run_config_file(ws, demo_config_path(), sink)
    _print_summary(res, ws)


@app.command("run")
def run_cmd(
    config: Annotated[Path, typer.Argument(help="pipeline YAML config")], workspace: WorkspaceOpt = None
) -> None:
    """Run the whole pipeline from one YAML config."""
    from appliance.pipeline import run_config_file

    _boot()
    ws = _writable_workspace(workspace)
    with _progress() as sink:
        res = run_config_file(ws, config, sink)
    _print_summary(res, ws)


def _print_summary(res: Any, ws: Any) -> None:
    from rich.table import Table

    ev = res.evaluation["metrics"]
    t = Table(title="Pipeline summary", show_header=False)
    t.add_column("what", style="bold")
    t.add_column("value")
    s = res.scrub
    t.add_row(
        "records scrubbed",
        f"{s['records_out']} records, {s['fields_scrubbed']} fields ({res.dataset_scrubbed})",
    )
    t.add_row(
        "entities found",
        f"{s['entities_found']}: " + ", ".join(f"{k} {v}" for k, v in s["entities_by_type"].items()),
    )
    t.add_row("base model", res.model)
    t.add_row(
        "train loss",
        f"{res.train['train_loss_before']:.4f} → {res.train['train_loss_after']:.4f} "
        f"({res.train['steps']} steps, {res.train['method']} on {res.train['device']}, {res.run})",
    )
    t.add_row(
        "eval perplexity",
        f"{ev['base']['perplexity']:.3f} → {ev['tuned']['perplexity']:.3f} "
        f"({res.evaluation['examples']} {res.evaluation['split']} records)",
    )
    t.add_row(
        "adapter merge",
        f"max |Δlogits| {res.parity['merge']['max_abs_logit_diff']:.3g} vs the trained 4-bit model",
    )
    for precision, p in res.parity["parity"].items():
        t.add_row(f"ONNX {precision}", _parity_line(p))
    from appliance.evaluate import describe

    t.add_row("release gates", describe(res.verdict) if res.verdict else "not evaluated")
    t.add_row("model card", str(res.model_card))
    t.add_row("export", str(res.export_path))
    t.add_row("audit", f"{res.audit_records_written} records written; {res.audit_verified}")
    t.add_row(
        "seconds",
        ", ".join(f"{k} {v}" for k, v in res.seconds.items()) + f" (total {sum(res.seconds.values()):.0f})",
    )
    _console().print(t)


def _parity_line(p: dict) -> str:
    if p.get("skipped"):
        return p["skipped"]
    verdict = "PASS" if p["passed"] else "FAIL"
    return (
        f"{verdict}: prefill max |Δ| {p['max_abs_prefill']:.2e}, decode (KV cache) {p['max_abs_decode']:.2e}, "
        f"greedy agreement {p['greedy_agreement']:.2f} over {p['greedy_new_tokens']} tokens, "
        f"perplexity {p['perplexity_onnx']:.3f} ({p['ppl_delta']:+.2%}) on {p['provider']}"
    )


# ---- data
# ---- scrub
@app.command()
def scrub(
    input: Annotated[Path, typer.Argument(help="JSONL input, one object per line")],
    policy: Annotated[
        str, typer.Option("--policy", "-p", help="policy name (policies/NAME.yaml) or YAML path")
    ],
    out: Annotated[Path, typer.Option("--out", "-o", help="JSONL output")],
    report: Annotated[
        Path | None, typer.Option("--report", help="write the scrub report (JSON) here")
    ] = None,
    field: Annotated[
        list[str] | None, typer.Option("--field", "-f", help="field to scrub (repeatable)")
    ] = None,
    review: Annotated[
        bool,
        typer.Option(
            "--review",
            help="show a sample of findings; their raw values and context only when stdout is a terminal",
        ),
    ] = False,
    workspace: WorkspaceOpt = None,
) -> None:
    """Scrub PII from chosen fields of a JSONL (or CSV) file under a policy."""
    from appliance.scrub import scrub_file

    _boot()
    ws = _writable_workspace(workspace)
    with _progress() as sink:
        result = scrub_file(input, out, policy, field, report, sink, ws)
    console = _console()
    console.print(
        f"scrubbed {result['records_out']} records ({result['entities_found']} entities: "
        + ", ".join(f"{k} {v}" for k, v in result["entities_by_type"].items())
        + f") → {out}",
        markup=False,
    )
    ops = "; ".join(
        f"{ent}: " + ", ".join(f"{op} {n}" for op, n in by.items())
        for ent, by in result["entities_by_operator"].items()
    )
    console.print(f"operators: {ops or 'none'}", markup=False)
    dropped = result["records_dropped_by_reason"]
    console.print(
        f"records dropped: {result['records_dropped']}"
        + (f" ({', '.join(f'{k} {v}' for k, v in dropped.items())})" if dropped else "")
        + f"; fields skipped (not text): {result['fields_skipped']}",
        markup=False,
    )
    if review:
        _print_review(console, getattr(result, "review_sample", []), _stdout_is_terminal())


def _stdout_is_terminal() -> bool:
    """Whether stdout is a terminal (the operator's screen) rather than a file or pipe (a log, `| tee`, CI);
    `audit show` decides its pager the same way."""
    return sys.stdout.isatty()


def _print_review(console: Any, sample: list[dict[str, Any]], on_screen: bool) -> None:
    """The operator's review of findings. Raw values (the value and its context) are printed only to a
    terminal: redirected to a file or a pipe, they would be written to disk or a log."""
    from rich.markup import escape
    from rich.table import Table

    keys = ["record", "field", "entity", "operator", "score"] + (["value", "context"] if on_screen else [])
    title = "Findings (on screen only)" if on_screen else "Findings (raw values are shown on a terminal only)"
    t = Table(*keys, title=title)
    for f in sample:
        t.add_row(*(escape(str(f[k])) for k in keys))
    console.print(t)
    if not on_screen:
        console.print(
            "stdout is not a terminal, so the raw values and their context are left out (they would land in "
            "a file or log); run with --review in a terminal to see them.",
            markup=False,
        )


# ---- models
@models_app.command("import")
def models_import(
    path: Annotated[Path, typer.Argument(help="HF model folder (safetensors) or a .gguf file")],
    workspace: WorkspaceOpt = None,
) -> None:
    """Import a base model from local media into the workspace."""
    from appliance.models import import_model

    _boot()
    ws = _writable_workspace(workspace)
    with _progress() as sink:
        art = import_model(ws, path, sink)
    _console().print(f"model {art.id} imported ({art.manifest['summary'].get('source_format')})")


@models_app.command("list")
def models_list(workspace: WorkspaceOpt = None) -> None:
    """List the workspace's models."""
    from rich.table import Table

    t = Table("id", "source", "format", "parameters", "created")
    for a in _workspace(workspace).list("model"):
        s = a.manifest["summary"]
        t.add_row(
            a.id,
            str(s.get("source", "")),
            str(s.get("source_format", "")),
            f"{s['parameters']:,}" if s.get("parameters") else "",
            a.manifest["created"],
        )
    _console().print(t)


@models_app.command("show")
def models_show(model_id: str, workspace: WorkspaceOpt = None) -> None:
    """Show one model's manifest."""
    import json

    _console().print_json(json.dumps(_workspace(workspace).get("model", model_id).manifest))


# ---- train / evaluate / export / infer
@app.command("train")
def train_cmd(
    config: Annotated[
        Path, typer.Option("--config", "-c", help="pipeline YAML config (its train: and model: sections)")
    ],
    dataset: Annotated[
        str | None, typer.Option("--dataset", help="scrubbed dataset id (default: the newest)")
    ] = None,
    resume: Annotated[
        str | None, typer.Option("--resume", help="id of an interrupted run to continue from its last checkpoint")
    ] = None,
    plan: Annotated[
        bool, typer.Option("--plan", help="print the memory plan for this config on this machine and stop")
    ] = False,
    workspace: WorkspaceOpt = None,
) -> None:
    """Fine-tune the configured base model on a scrubbed dataset (or run the train.hpo search).

    Ctrl-C or SIGTERM stops after the current step and saves a checkpoint; `--resume RUN` continues it.
    Runs unchanged with several GPUs under `accelerate launch --multi_gpu -m appliance train ...` or torchrun
    (DDP): process 0 writes the run and the audit record.
    """
    from appliance.config import load_pipeline_config
    from appliance.errors import BadInput
    from appliance.models import resolve_model
    from appliance.train import train

    _boot()
    cfg, _ = load_pipeline_config(config)
    ws = _writable_workspace(workspace)

    if plan:
        from appliance.train.memory import plan as memory_plan
        from appliance.train.modeling import pick_device

        with _progress() as sink:
            model_dir = resolve_model(ws, cfg.model.base, sink).path
        try:
            p = memory_plan(model_dir, cfg.train, pick_device())
        except (KeyError, TypeError, ValueError) as e:
            raise BadInput(f"no memory plan for this model: its config.json lacks {e} (the planner knows "
                           "Llama-style decoders)") from None  # fmt: skip
        _console().print_json(json.dumps(p.as_dict()))
        if not p.fits:
            raise typer.Exit(1)
        return

    def scrubbed_dataset(ds_id: str) -> Any:
        ds = ws.get("dataset", ds_id)
        if ds.manifest["summary"].get("stage") not in ("scrubbed", "augmented"):
            raise BadInput(f"dataset {ds_id} is not scrubbed; training only reads scrubbed datasets")
        return ds

    if dataset is None and cfg.train.task == "multitask":
        dataset = cfg.train.mixture[0].dataset
    if dataset is None:
        scrubbed = [a for a in ws.list("dataset") if a.manifest["summary"].get("stage") == "scrubbed"]
        if not scrubbed:
            raise BadInput(
                "no scrubbed dataset in the workspace: run `appliance run CONFIG` or scrub one first"
            )
        ds = scrubbed[-1]
    else:
        ds = scrubbed_dataset(dataset)
    for entry in cfg.train.mixture:
        scrubbed_dataset(entry.dataset)
    with _progress() as sink:
        base = resolve_model(ws, cfg.model.base, sink)
        if cfg.train.hpo is not None and resume is None:
            from appliance.train.hpo import search

            run, study = search(ws, ds, base, cfg.train, sink)
            _console().print(f"study {study.id}: best run {run.id} (validation loss "
                             f"{study.manifest['summary']['best_val_loss']}); table: {study.path / 'trials.md'}")  # fmt: skip
        else:
            run = train(ws, ds, base, cfg.train, sink, resume=resume)
    if run is None:  # not process 0 of a distributed launch
        return
    s = run.manifest["summary"]
    val = f", validation loss {s['val_loss']:.4f}" if s.get("val_loss") is not None else ""
    _console().print(
        f"run {run.id}: train loss {s['train_loss_before']:.4f} → {s['train_loss_after']:.4f}{val} "
        f"({s['steps']} steps, {s['tokens_per_s']:.0f} tokens/s, peak {s['peak_memory_mb']:.0f} MiB)"
    )


@export_app.command("onnx")
def export_onnx_cmd(
    run_id: str,
    out: Annotated[Path, typer.Option("--out", "-o", help="folder to write the export bundle to")],
    precision: Annotated[
        list[str] | None, typer.Option(help="fp32, fp16 (GPU) or int4; repeatable (default: fp32; int4 is opt-in)")
    ] = None,
    override_reason: Annotated[
        str | None,
        typer.Option(
            "--override-reason", help="export although the release gates failed or are missing (audited)"
        ),
    ] = None,
    workspace: WorkspaceOpt = None,
) -> None:
    """Merge the adapter, build KV-cached ONNX decoders, prove parity, write Triton config and a signed manifest."""
    from appliance.config import OnnxExport
    from appliance.errors import BadInput
    from appliance.export import export_onnx

    for p in precision or []:
        if p not in ("fp32", "fp16", "int4"):
            raise BadInput(f"unknown precision {p!r}: use fp32, fp16 or int4")
    cfg = OnnxExport(precision=precision) if precision else OnnxExport()
    _boot()
    ws = _writable_workspace(workspace)
    with _progress() as sink:
        art = export_onnx(ws, ws.get("run", run_id), cfg, out=out, sink=sink, override_reason=override_reason)
    for name, p in art.manifest["summary"]["parity"].items():
        _console().print(f"{name}: {_parity_line(p)}", markup=False)
    _console().print(f"export {art.id} → {out}")


@export_app.command("verify")
def export_verify(
    export_dir: Annotated[Path, typer.Argument(help="an export folder (in or outside the workspace)")],
    pin: Annotated[
        list[str] | None, typer.Option("--pin", help="trusted signing key id (repeatable)")
    ] = None,
    workspace: WorkspaceOpt = None,
) -> None:
    """Check the export's signed manifest and every file's hash (workspace keys are trusted; others need --pin)."""
    from appliance.audit import AuditLog
    from appliance.export import verify_export

    ws = _workspace(workspace)
    problems = verify_export(export_dir, AuditLog(ws.audit_dir, ws.keys_dir).public_keys(), pin)
    if problems:
        for line in problems:
            print(f"FAIL {line}")
        raise typer.Exit(1)
    print(f"export {export_dir}: signature and all file hashes verified")


@app.command()
def infer(
    export_dir: Annotated[Path, typer.Argument(help="an export folder")],
    prompt: Annotated[str, typer.Option("--prompt", help="user message")],
    max_new_tokens: Annotated[int, typer.Option(help="tokens to generate")] = 64,
    precision: Annotated[
        str | None, typer.Option(help="variant: fp32, fp16 or int4 (default: best for this host)")
    ] = None,
    temperature: Annotated[float, typer.Option(help="0 = greedy; above 0 samples")] = 0.0,
) -> None:
    """Generate a reply from an exported ONNX model with its KV cache, streaming the text."""
    from appliance.serve import OnnxGenerator

    _boot()
    gen = OnnxGenerator(export_dir, precision)
    print(f"[{gen.precision} on {gen.provider}]", file=sys.stderr)
    for piece in gen.stream(prompt, max_new_tokens=max_new_tokens, temperature=temperature):
        print(piece, end="", flush=True)
    print()


# ---- audit
PinOpt = Annotated[
    list[str] | None, typer.Option("--pin", help="trusted signing key id (repeatable); see `audit show-keys`")
]


def _audit_log(workspace: Path | None) -> Any:
    from appliance.audit import AuditLog

    ws = _workspace(workspace)
    return AuditLog(ws.audit_dir, ws.keys_dir)


@audit_app.command("verify")
def audit_verify(workspace: WorkspaceOpt = None, pin: PinOpt = None) -> None:
    """Check chain, Merkle tree and signed checkpoints (and, with the passphrase, every encrypted body)."""
    log = _audit_log(workspace)
    res = log.verify(pins=pin)
    _console().print(res.describe(), markup=False)
    if not res.ok:
        raise typer.Exit(1)
    if log.keys_available():
        log.record(
            "audit.verify", details={"ok": True, "records": res.records, "checkpoints": res.checkpoints}
        )


@audit_app.command("show")
def audit_show(
    workspace: WorkspaceOpt = None,
    event: Annotated[str | None, typer.Option(help="only this event type (prefix match)")] = None,
    since: Annotated[str | None, typer.Option("--from", help="from this UTC time (ISO 8601)")] = None,
    until: Annotated[str | None, typer.Option("--to", help="up to this UTC time (ISO 8601)")] = None,
    artifact: Annotated[str | None, typer.Option(help="only records naming this artifact id")] = None,
) -> None:
    """Decrypt and list audit records (needs the passphrase)."""
    from rich.table import Table

    log = _audit_log(workspace)
    t = Table("seq", "time", "actor", "event", "artifacts", "details")
    for r in log.iter_records(decrypt=True):
        if event and not r["event"].startswith(event):
            continue
        if (since and r["time"] < since) or (until and r["time"] > until):
            continue
        if artifact and artifact not in r["artifacts"]:
            continue
        arts = ", ".join(f"{k}:{v[:12]}" for k, v in r["artifacts"].items())
        details = ", ".join(f"{k}={v}" for k, v in r["details"].items() if not isinstance(v, dict))
        t.add_row(str(r["seq"]), r["time"], r["actor"], r["event"], arts, details)
    with _console().pager(styles=True) if sys.stdout.isatty() else _nullcontext():
        _console().print(t)


@contextmanager
def _nullcontext():  # noqa: ANN202
    yield


@audit_app.command("show-keys")
def audit_show_keys(workspace: WorkspaceOpt = None) -> None:
    """Print the signing key ids (fingerprints) an auditor should record and later --pin."""
    log = _audit_log(workspace)
    for kid in log.public_keys():
        print(kid)


@audit_app.command("export")
def audit_export(
    out: Annotated[Path, typer.Option("--out", "-o", help="bundle file to write (.tar.gz)")],
    auditor_key: Annotated[Path, typer.Option("--auditor-key", help="the auditor's public key file")],
    since: Annotated[str | None, typer.Option("--from", help="report period start (UTC, ISO 8601)")] = None,
    until: Annotated[str | None, typer.Option("--to", help="report period end (UTC, ISO 8601)")] = None,
    workspace: WorkspaceOpt = None,
) -> None:
    """Write a signed audit bundle with an HTML report; record keys are wrapped for the auditor."""
    from appliance.audit.bundle import export_bundle

    ws = _workspace(workspace)
    log = _audit_log(workspace)
    manifest = export_bundle(log, ws, out, auditor_key, since, until)
    _console().print(
        f"bundle {out}: {manifest['records']} records, signed by key {manifest['signing_key_id']}, "
        f"verification {'PASS' if manifest['verification']['ok'] else 'FAIL'}"
    )


@audit_app.command("verify-bundle")
def audit_verify_bundle(
    bundle: Path,
    pin: PinOpt = None,
    auditor_key: Annotated[
        Path | None, typer.Option("--auditor-key", help="auditor private key file: also decrypt every record")
    ] = None,
) -> None:
    """Verify a bundle offline, with no workspace (APPLIANCE_AUDITOR_PASSPHRASE unlocks --auditor-key)."""
    from appliance.audit import crypto
    from appliance.audit.bundle import verify_bundle

    passphrase = (
        crypto.read_passphrase(crypto.AUDITOR_PASSPHRASE_ENV, "Auditor passphrase: ") if auditor_key else None
    )
    res, manifest = verify_bundle(bundle, pin, auditor_key, passphrase)
    _console().print(res.describe(), markup=False)
    if not res.ok:
        raise typer.Exit(1)


@audit_app.command("repair")
def audit_repair(
    workspace: WorkspaceOpt = None,
    yes: Annotated[bool, typer.Option("--yes", help="do not ask for confirmation")] = False,
) -> None:
    """Mend what a crash leaves (torn final record, unsigned tail); refuses to touch tampered logs."""
    log = _audit_log(workspace)
    msg = log.repair(lambda question: yes or typer.confirm(question))
    _console().print(msg, markup=False)


@audit_app.command("rotate-keys")
def audit_rotate_keys(workspace: WorkspaceOpt = None) -> None:
    """New signing and encryption keys; starts a new log segment (audited)."""
    kid = _audit_log(workspace).rotate_keys()
    _console().print(f"new signing key {kid}; new segment started")


@audit_app.command("auditor-keygen")
def audit_auditor_keygen(
    out: Annotated[
        Path, typer.Option("--out", "-o", help="empty folder for auditor.pub.json and auditor.key.json")
    ],
) -> None:
    """Create an auditor key pair (private key sealed with APPLIANCE_AUDITOR_PASSPHRASE or a prompt)."""
    from appliance.audit import crypto

    passphrase = crypto.read_passphrase(
        crypto.AUDITOR_PASSPHRASE_ENV, "New auditor passphrase: ", confirm=True
    )
    pub, key = crypto.auditor_keygen(out, passphrase)
    _console().print(f"auditor public key: {pub} (give to the operator); private key: {key} (keep)")


@app.command()
def tui(workspace: WorkspaceOpt = None) -> None:
    """The operator's terminal UI."""
    from tui.app import ApplianceApp

    _boot()
    ApplianceApp(workspace).run()


@app.command()
def doctor(workspace: WorkspaceOpt = None) -> None:
    """Environment report: packages, GPU/CUDA, onnxruntime providers, spaCy pipeline, offline state."""
    from appliance.doctor import run_checks

    _boot()
    checks = run_checks(_workspace(workspace))
    from rich.table import Table

    t = Table("check", "status", "detail")
    for c in checks:
        t.add_row(c.name, "[green]ok[/]" if c.ok else "[red]FIX[/]", c.detail)
    _console().print(t)
    failed = [c for c in checks if not c.ok]
    if failed:
        _console().print("[red]To fix:[/]")
        for c in failed:
            _console().print(f"  - {c.name}: {c.fix or c.detail}", markup=False)
        raise typer.Exit(1)


class Terminated(KeyboardInterrupt):
    """SIGTERM or SIGHUP, raised in the main thread so that the command unwinds as on Ctrl-C: `finally` blocks
    run (scrub worker processes are stopped, staged and partial files removed, the workspace lock released)."""

    def __init__(self, signum: int):
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


_STOP_SIGNALS = (signal.SIGTERM, signal.SIGHUP)
_stopped_by: int | None = None
_fork_hook_registered = False


def _on_stop_signal(signum: int, frame: Any) -> None:
    global _stopped_by
    if _stopped_by is not None:  # a second one while unwinding: stop now, as before (cleanup is cut short)
        signal.signal(signum, signal.SIG_DFL)
        os.kill(os.getpid(), signum)
        return
    _stopped_by = signum
    raise Terminated(signum)


def _default_stop_signals_in_child() -> None:
    """A forked child (a scrub worker) ends at once on SIGTERM, as before: its parent stops it that way."""
    for sig in _STOP_SIGNALS:
        if signal.getsignal(sig) is _on_stop_signal:
            signal.signal(sig, signal.SIG_DFL)


def _install_stop_signals() -> None:
    """SIGTERM (systemd stop, `timeout`, `docker stop`) and SIGHUP (the terminal closed) end the command the
    way Ctrl-C does, with exit status 128 + the signal number (143, 129). Stages that handle SIGTERM themselves
    (training stops after the current step and saves a checkpoint) replace this handler while they run."""
    global _fork_hook_registered
    if threading.current_thread() is not threading.main_thread():
        return
    for sig in _STOP_SIGNALS:
        signal.signal(sig, _on_stop_signal)
    if not _fork_hook_registered:
        os.register_at_fork(after_in_child=_default_stop_signals_in_child)
        _fork_hook_registered = True


def main() -> None:
    _install_stop_signals()
    try:
        _main()
    except (SystemExit, KeyboardInterrupt):  # Typer turns an interrupt into exit status 130
        if _stopped_by is not None:
            with contextlib.suppress(OSError):  # SIGHUP: the terminal may be gone
                print(f"stopped by {signal.Signals(_stopped_by).name}", file=sys.stderr)
            sys.exit(128 + _stopped_by)
        raise


def _main() -> None:
    try:
        app()
    except ApplianceError as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(exc.exit_code)
    except Exception as exc:  # a bug: keep raw values (possibly PII) out of the console unless debugging
        if os.environ.get("APPLIANCE_DEBUG"):
            raise
        print(
            f"internal error ({type(exc).__name__}); rerun with APPLIANCE_DEBUG=1 for details",
            file=sys.stderr,
        )
        sys.exit(1)


if __name__ == "__main__":
    main()
