"""Model card (markdown + JSON) for an evaluated run; export adds its parity table to the same card.

Only ids, hashes, configuration and numbers: no record text, no canary secret, no identifier value.
"""

from __future__ import annotations

import json
from typing import Any

from appliance.workspace import Artifact, Workspace

INTENDED_USE = (
    "Drafting and summarizing the site's own clinical documentation for review by qualified staff. Not for "
    "diagnosis or treatment decisions without human review, not for use outside the site, and not for "
    "re-identifying anyone. Training data was de-identified under the policy named below."
)


def _lineage(ws: Workspace, dataset: Artifact) -> list[dict[str, Any]]:
    """The dataset and its inputs back to the raw source, as ids and hashes only."""
    chain, art = [], dataset
    for _ in range(8):
        entry = {"kind": art.kind, "id": art.id, "manifest_sha256": art.manifest_sha256,
                 "stage": art.manifest.get("summary", {}).get("stage"),
                 "policy": art.manifest.get("config", {}).get("policy"),
                 "policy_sha256": art.manifest.get("config", {}).get("policy_sha256")}  # fmt: skip
        chain.append({k: v for k, v in entry.items() if v is not None})
        parents = [i for i in art.manifest.get("inputs", []) if i.get("kind") == "dataset"]
        files = [i for i in art.manifest.get("inputs", []) if i.get("kind") != "dataset"]
        for f in files:
            chain.append({"kind": f.get("kind"), "sha256": f.get("sha256")})
        if not parents:
            break
        try:
            art = ws.get("dataset", parents[0]["id"])
        except Exception:
            chain.append(
                {"kind": "dataset", "id": parents[0]["id"], "manifest_sha256": parents[0].get("sha256")}
            )
            break
    return chain


def _digest(value: Any) -> str:
    """"sha256 <hex>", or a raw data file's keyed HMAC as it is ("hmac-sha256:<hex>")."""
    return str(value) if str(value).startswith("hmac-") else f"sha256 {value}"


def build_model_card(
    ws: Workspace,
    run: Artifact,
    report: dict[str, Any],
    verdict: dict[str, Any],
    export: dict[str, Any] | None = None,
) -> tuple[str, dict[str, Any]]:
    cfg = run.manifest["config"]
    base = ws.get("model", cfg["base_model"])
    dataset = ws.get("dataset", cfg["dataset"])
    card: dict[str, Any] = {
        "run": run.id,
        "run_manifest_sha256": run.manifest_sha256,
        "base_model": {
            "id": base.id,
            "source": base.manifest.get("summary", {}).get("source"),
            "manifest_sha256": base.manifest_sha256,
            "weights_sha256": {
                n: m["sha256"]
                for n, m in base.manifest.get("files", {}).items()
                if n.endswith((".safetensors", ".gguf", ".bin"))
            },
        },  # fmt: skip
        "data_lineage": _lineage(ws, dataset),
        "method": {
            "method": cfg.get("method"),
            "device": cfg.get("device"),
            "lora": cfg.get("lora"),
            "hparams": cfg.get("hparams"),
            "system_prompt_set": bool(cfg.get("system_prompt")),
            "steps": run.manifest.get("summary", {}).get("steps"),
            "train_examples": run.manifest.get("summary", {}).get("train_examples"),
        },  # fmt: skip
        "metrics": report.get("metrics"),
        "evaluation": {"split": report.get("split"), "examples": report.get("examples")},
        "baselines": report.get("baselines"),
        "leakage": report.get("leakage"),
        "gate_verdict": {k: verdict.get(k) for k in ("passed", "policy", "failed", "rules")},
        "intended_use": INTENDED_USE,
    }
    if export:
        card["export"] = export
    return render_markdown(card), card


def _fmt(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:.4g}"
    return "n/a" if v is None else str(v)


def render_markdown(card: dict[str, Any]) -> str:
    b, m, v = card["base_model"], card["method"], card["gate_verdict"]
    pol = v.get("policy") or {}
    lines = [
        f"# Model card: run {card['run']}",
        "",
        f"**Release gate verdict: {'PASS' if v['passed'] else 'FAIL'}** under policy "
        f"{pol.get('name', 'none')} {pol.get('version', '')} (sha256 {pol.get('sha256', 'n/a')}).",
        "",
        "## Base model",
        f"- {b['id']} (source {b['source']}), manifest sha256 {b['manifest_sha256']}",
        *[f"- {n}: sha256 {h}" for n, h in b["weights_sha256"].items()],
        "",
        "## Data lineage (hashes only)",
        *[f"- {e.get('kind')} {e.get('id', '')} {('(' + e['stage'] + ')') if e.get('stage') else ''} "
          + _digest(e.get("manifest_sha256") or e.get("sha256"))
          + (f", policy {e['policy']} sha256 {e.get('policy_sha256')}" if e.get("policy") else "")
          for e in card["data_lineage"]],
        "",
        "## Method",
        f"- {m['method']} on {m['device']}, {m['steps']} steps over {m['train_examples']} training records",
        f"- LoRA {json.dumps(m['lora'], sort_keys=True)}",
        f"- hyperparameters {json.dumps(m['hparams'], sort_keys=True)}",
        "",
        "## Metrics",
        f"Loss/perplexity on {card['evaluation']['examples']} {card['evaluation']['split']} records:",
        "",
        "| model | loss | perplexity |",
        "|---|---|---|",
    ]  # fmt: skip
    for name, row in (card.get("metrics") or {}).items():
        lines.append(f"| {name} | {_fmt(row.get('loss'))} | {_fmt(row.get('perplexity'))} |")
    bl = card.get("baselines")
    if bl:
        cols = ["loss", "perplexity", "exact_match", "token_f1", "rouge1", "rouge2", "rougeL"]
        lines += ["", f"Baselines on the same {bl['records']} records (greedy, {bl['max_new_tokens']} new tokens; "
                      f"few-shot k={bl['few_shot_k']} from the training split):", "",
                  "| system | " + " | ".join(cols) + " |", "|---" * (len(cols) + 1) + "|"]  # fmt: skip
        for name, row in bl["systems"].items():
            lines.append(f"| {name} | " + " | ".join(_fmt(row.get(c)) for c in cols) + " |")
        for name, row in bl.get("lift", {}).items():
            lines.append(f"| lift {name} | " + " | ".join(_fmt(row.get(c)) for c in cols) + " |")
    leak = card.get("leakage") or {}
    lines += ["", "## PII leakage and memorization"]
    c = leak.get("canaries")
    if c:
        lines.append(f"- Canaries: {c['count']} ({c['planted']} planted in the training data), verbatim emissions "
                     f"{c['emissions']}, max exposure {_fmt(c['max_exposure'])} bits (base model "
                     f"{_fmt((c.get('base') or {}).get('max_exposure'))}; full exposure {_fmt(c['results'][0]['max_exposure'] if c['results'] else None)})")  # fmt: skip
    i = leak.get("identifiers")
    if i:
        lines.append(f"- Identifiers in {i['generations']} sampled generations ({i['generated_tokens']} tokens): "
                     f"{i['identifiers']} found ({_fmt(i['per_1k_tokens'])} per 1,000 tokens) {json.dumps(i['by_type'])}"
                     + (f"; base model from the same prompts: {_fmt(i['base']['per_1k_tokens'])} per 1,000 tokens"
                        if i.get("base") else ""))  # fmt: skip
    g = leak.get("regurgitation")
    if g:
        lines.append(f"- Regurgitation: longest common substring with the training response "
                     f"{g['max_lcs_chars']} characters (mean {g['mean_lcs_chars']})")  # fmt: skip
    lines += [
        "",
        "## Gate rules",
        "",
        "| rule | metric | value | threshold | passed |",
        "|---|---|---|---|---|",
    ]
    for r in v.get("rules") or []:
        lines.append(f"| {r['rule']} | {r['metric']} | {_fmt(r['value'])} | {r['op']} {_fmt(r['threshold'])} | "
                     f"{'yes' if r['passed'] else 'NO'} |")  # fmt: skip
    ex = card.get("export")
    if ex:
        lines += ["", "## Export", ""]
        if ex.get("override"):
            lines.append(
                "- Exported under an operator OVERRIDE of the gate verdict; the reason is in the audit log "
                "(event export.override)"
            )
        merge = ex.get("merge")
        if merge:
            lines.append(f"- Merge (merged fp32 model vs the trained model as evaluated): max |Δlogits| "
                         f"{merge['max_abs_logit_diff']:.3g}, top-1 agreement {merge['top1_agreement']:.3f}")  # fmt: skip
        lines += ["", "| precision | passed | max abs prefill | max abs decode | greedy agreement | perplexity delta |",
                  "|---|---|---|---|---|---|"]  # fmt: skip
        for p, r in (ex.get("parity") or {}).items():
            if r.get("skipped"):
                lines.append(f"| {p} | not run | | | | {r['skipped']} |")
            else:
                lines.append(f"| {p} | {r['passed']} | {r['max_abs_prefill']:.3g} | {r['max_abs_decode']:.3g} | "
                             f"{r['greedy_agreement']:.3f} | {r['ppl_delta']:+.4f} |")  # fmt: skip
    lines += ["", "## Intended use", card["intended_use"], ""]
    return "\n".join(lines)
