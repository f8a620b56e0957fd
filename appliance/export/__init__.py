"""ONNX export for serving: merged adapter, KV-cached decoder graphs (fp32, fp16, int4), parity, Triton, signature.

Flow: merge the adapter into a full-precision copy of the base (never the 4-bit one), report how far the merge
moves logits from the trained 4-bit+adapter model, build each precision with onnxruntime-genai's model builder,
prove parity against the merged PyTorch model on the run's own (scrubbed) prompts, write a Triton model
repository and a model card, and sign the manifest with the workspace's audit signing key.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from appliance.audit import audit_artifact
from appliance.config import OnnxExport, TrainSection
from appliance.errors import ApplianceError, BadInput
from appliance.events import EventSink, NullSink, StageProgress
from appliance.workspace import MANIFEST, Artifact, Workspace, sha256_file

SIGNATURE = "manifest.sig"
SIGNING_KEY = "signing_key.json"
SIGN_CONTEXT = b"compliance-appliance/export-manifest/v1\n"
TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "chat_template.jinja",
                   "generation_config.json")  # fmt: skip


def merge_error(ws: Workspace, run: Artifact, merged: Any, prompt_ids: list[list[int]]) -> dict[str, Any]:
    """How far the merged full-precision model is from the run's model as it was trained and evaluated."""
    import numpy as np
    import torch

    from appliance.train import load_run_model

    trained, _tok, _base, device = load_run_model(ws, run)
    max_abs, agree, total = 0.0, 0, 0
    with torch.no_grad():
        for ids in prompt_ids:
            t = torch.tensor([ids])
            a = trained(input_ids=t.to(device)).logits.float().cpu().numpy()
            b = merged(input_ids=t).logits.float().numpy()
            max_abs = max(max_abs, float(np.abs(a - b).max()))
            agree += int((a.argmax(-1) == b.argmax(-1)).sum())
            total += a.shape[1]
    del trained
    return {
        "method": run.manifest["config"]["method"],
        "max_abs_logit_diff": max_abs,
        "top1_agreement": agree / total,
        "note": "QLoRA adapters are merged into the NF4-dequantized base they were trained on, so the export "
        "matches the evaluated 4-bit model up to kernel rounding.",
    }


def _parity_inputs(ws: Workspace, run: Artifact, tokenizer: Any, cfg: OnnxExport) -> tuple[list[str], list]:
    from appliance.data import read_instruction_view, render_prompt
    from appliance.train import encode_split

    dataset = ws.get("dataset", run.manifest["config"]["dataset"])
    train_cfg = TrainSection.model_validate(
        {k: v for k, v in run.manifest["config"].items() if k in TrainSection.model_fields}
    )
    split = "validation" if dataset.file("validation.jsonl").stat().st_size else "train"
    labels = run.manifest["config"].get("labels")
    records = read_instruction_view(dataset.file(f"{split}.jsonl"), labels)
    prompts = [render_prompt(tokenizer, r, train_cfg.system_prompt) for r in records[: cfg.parity_prompts]]
    examples, _ = encode_split(tokenizer, dataset.file(f"{split}.jsonl"), train_cfg.hparams.seq_len,
                               train_cfg.system_prompt, labels)  # fmt: skip
    return prompts, examples[: cfg.ppl_records]


def export_onnx(
    ws: Workspace,
    run: Artifact,
    cfg: OnnxExport | None = None,
    out: Path | None = None,
    sink: EventSink | None = None,
    *,
    override_reason: str | None = None,
) -> Artifact:
    """Export `run`; refused unless its gate verdict passed, or an operator overrides with a reason (audited
    as its own `export.override` event before any work starts)."""
    from transformers import AutoTokenizer

    from appliance.evaluate import release_check
    from appliance.export.builder import build_variant
    from appliance.export.parity import check_variant
    from appliance.export.triton import write_triton_entry
    from appliance.serve import OnnxDecoder, gpu_present
    from appliance.train import merged_model

    cfg = cfg or OnnxExport()
    sink = sink or NullSink()
    if out is not None and out.exists() and any(out.iterdir()):
        raise BadInput(f"--out {out} exists and is not empty; choose a new folder")
    release = release_check(run, override_reason)  # ApplianceError when the gates did not pass
    if release["override"]:
        from appliance.audit import AuditLog

        v = release["verdict"] or {}
        AuditLog(ws.audit_dir, ws.keys_dir).record(
            "export.override",
            artifacts={run.id: run.manifest_sha256},
            details={"reason": release["override"], "problem": release["problem"],
                     "verdict": None if not v else ("pass" if v.get("passed") else "fail"),
                     "failed_rules": v.get("failed", []), "policy": v.get("policy", {})},
        )  # fmt: skip
    base = ws.get("model", run.manifest["config"]["base_model"])
    tokenizer = AutoTokenizer.from_pretrained(str(base.path))
    prompts, examples = _parity_inputs(ws, run, tokenizer, cfg)
    name = "model"
    steps = 2 + 2 * len(cfg.precision)
    with ws.new_artifact(
        "export", inputs=[run.ref(), base.ref()], config={"format": "onnx", **cfg.model_dump()}
    ) as b:
        work = b.path.parent / f"{b.id}.work"  # merged weights and build logs: not part of the bundle
        work.mkdir()
        try:
            with StageProgress(sink, "export", steps, "merge") as prog:
                merged = merged_model(ws, run)
                merged.save_pretrained(work / "merged", safe_serialization=True)
                tokenizer.save_pretrained(work / "merged")
                prompt_ids = [tokenizer(p, add_special_tokens=False)["input_ids"] for p in prompts]
                merge_report = merge_error(ws, run, merged, prompt_ids)
                prog.advance(merge_max_abs=merge_report["max_abs_logit_diff"])
                parities: dict[str, Any] = {}
                for precision in cfg.precision:
                    prog.message = f"build {precision}"
                    vdir = b.path / precision
                    build_variant(work / "merged", vdir, precision, work / f"build-{precision}.log")
                    prog.advance()
                    if precision == "fp16" and not gpu_present():
                        parities[precision] = {
                            "precision": "fp16",
                            "passed": None,
                            "skipped": "fp16 is built for CUDA; parity runs where a GPU is present",
                        }
                    else:
                        decoder = OnnxDecoder(vdir)
                        parities[precision] = check_variant(precision, decoder, merged, tokenizer, prompts, examples,
                                                            cfg.greedy_new_tokens)  # fmt: skip
                    (vdir / "parity.json").write_text(json.dumps(parities[precision], indent=2) + "\n")
                    for f in TOKENIZER_FILES:
                        if (base.path / f).is_file() and not (vdir / f).exists():
                            shutil.copy2(base.path / f, vdir / f)
                    write_triton_entry(
                        b.path / "triton", f"{name}_{precision}", vdir, gpu=precision == "fp16"
                    )
                    prog.advance(precision=precision, passed=parities[precision]["passed"])
                failed = [p for p, r in parities.items() if r["passed"] is False]
                summary = {
                    "run": run.id,
                    "precisions": cfg.precision,
                    "merge": merge_report,
                    "parity": parities,
                }
                (b.path / "parity.json").write_text(json.dumps(summary, indent=2) + "\n")
                if failed:
                    numbers = "; ".join(
                        f"{p}: prefill max|Δ| {parities[p]['max_abs_prefill']:.2e}, decode {parities[p]['max_abs_decode']:.2e}, "
                        f"greedy agreement {parities[p]['greedy_agreement']:.2f}, perplexity {parities[p]['ppl_delta']:+.2%}"
                        for p in failed
                    )
                    passing = [p for p in cfg.precision if p not in failed]
                    hint = (f"; export only {', '.join(passing)} (--precision / export.onnx.precision)" if passing
                            else "; check the run and the export log")  # fmt: skip
                    raise ApplianceError(f"ONNX parity failed ({numbers}); the export was not kept{hint}")
                summary["release"] = {"gates_passed": release["passed"], "override": release["override"] is not None}
                (b.path / "model_card.md").write_text(model_card(ws, run, base, summary))
                b.summary = summary
        finally:
            shutil.rmtree(work, ignore_errors=True)
    art = ws.get("export", b.id)
    sign_export(ws, art.path)
    audit_artifact(
        ws,
        "export.onnx",
        art,
        {"precisions": cfg.precision, **{f"{p}_passed": r["passed"] for p, r in parities.items()},
         "gates_passed": release["passed"], "override": release["override"] is not None},
        extra={run.id: run.manifest_sha256, **{f"{art.id}/{n}": m["sha256"] for n, m in art.manifest["files"].items()
                                               if n.endswith((".onnx", ".onnx.data")) and "/" in n
                                               and not n.startswith("triton/")}},
    )  # fmt: skip
    if out is not None:
        copy_bundle(art.path, out)
    return art


def model_card(ws: Workspace, run: Artifact, base: Artifact, summary: dict[str, Any]) -> str:
    """The run's model card (appliance.evaluate.card) with this export's merge/parity numbers and release."""
    from appliance.evaluate import load_verdict
    from appliance.evaluate.card import build_model_card

    report_path = run.path / "eval" / "report.json"
    report = json.loads(report_path.read_text()) if report_path.is_file() else {}
    verdict = load_verdict(run) or {"passed": False, "policy": {}, "failed": ["not evaluated"], "rules": []}
    release = summary.get("release") or {}
    export = {"merge": summary.get("merge"), "parity": summary.get("parity"), "override": release.get("override")}
    md, _card = build_model_card(ws, run, report, verdict, export)
    return md


def sign_export(ws: Workspace, path: Path) -> None:
    """Sign the export manifest with the workspace's audit signing key; ship the public key beside it."""
    from appliance.audit import AuditLog, crypto

    ring = AuditLog(ws.audit_dir, ws.keys_dir).keyring()
    message = SIGN_CONTEXT + (path / MANIFEST).read_bytes()
    sig = {"key_id": ring.signing_key_id, "sig": crypto.b64e(crypto.sign(ring.signing_key, message))}
    (path / SIGNATURE).write_text(json.dumps(sig, indent=2) + "\n")
    pub = crypto.signing_public(ring.signing_key)
    (path / SIGNING_KEY).write_text(json.dumps({"alg": "ed25519", "key_id": ring.signing_key_id,
                                                "public": crypto.b64e(pub)}, indent=2) + "\n")  # fmt: skip


def verify_export(
    path: Path, trusted: dict[str, bytes] | None = None, pins: list[str] | None = None
) -> list[str]:
    """Problems with an export folder: signature by a trusted key, every file's hash, no unlisted files."""
    from appliance.audit import crypto

    path = Path(path)
    try:
        manifest_bytes = (path / MANIFEST).read_bytes()
        sig = json.loads((path / SIGNATURE).read_text())
        key_doc = json.loads((path / SIGNING_KEY).read_text())
    except (OSError, ValueError) as exc:
        return [f"not a signed export folder ({type(exc).__name__}: {exc})"]
    keys = dict(trusted or {})
    if pins and key_doc["key_id"] in pins:
        keys[key_doc["key_id"]] = crypto.b64d(key_doc["public"])
    problems = []
    key = keys.get(sig["key_id"])
    if key is None:
        problems.append(
            f"manifest signed by key {sig['key_id']}, which is not trusted here (use --pin KEY_ID)"
        )
    elif not crypto.verify_signature(key, crypto.b64d(sig["sig"]), SIGN_CONTEXT + manifest_bytes):
        problems.append("manifest signature does not verify")
    manifest = json.loads(manifest_bytes)
    for rel, meta in manifest["files"].items():
        f = path / rel
        if not f.is_file():
            problems.append(f"{rel}: missing")
        elif sha256_file(f) != meta["sha256"]:
            problems.append(f"{rel}: sha256 differs from the signed manifest")
    listed = set(manifest["files"]) | {MANIFEST, SIGNATURE, SIGNING_KEY}
    extra = sorted(p.relative_to(path).as_posix() for p in path.rglob("*") if p.is_file())
    problems += [f"{rel}: not in the signed manifest" for rel in extra if rel not in listed]
    return problems


def copy_bundle(src: Path, dst: Path) -> None:
    """Copy an export folder to `dst` atomically (a partial copy never appears under the final name)."""
    tmp = dst.with_name(f".{dst.name}.partial")
    shutil.rmtree(tmp, ignore_errors=True)
    shutil.copytree(src, tmp)
    if dst.exists():
        dst.rmdir()  # checked empty above
    tmp.rename(dst)
