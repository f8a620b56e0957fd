"""The evaluate() entry point (see the package docstring)."""

from __future__ import annotations

import json
import random
import time
from pathlib import Path
from typing import Any

from appliance.audit import AuditLog
from appliance.config import EvaluateSection, TrainSection
from appliance.errors import ApplianceError
from appliance.evaluate.gates import VERDICT_FILE, check_gates, describe, load_verdict, release_check
from appliance.evaluate.metrics import perplexity
from appliance.events import EventSink, NullSink, StageProgress
from appliance.workspace import Artifact, Workspace, sha256_file, utc_now, write_json_atomic

EVAL_DIR = "eval"
SYSTEMS = ("base_zero_shot", "base_few_shot", "tuned")


def _ppl(loss: float) -> float:
    return perplexity(loss)


def _r(x: float, n: int = 5) -> float:
    return round(float(x), n)


def _policy_for(ws: Workspace, dataset: Artifact, gates_name: str | None) -> tuple[Any, Any]:
    """(gates policy, scanner policy) as LoadedPolicy or None: the gates come from `gates_name` or the
    dataset's scrub policy; the analyzer is the dataset's scrub policy, else the gates policy."""
    from appliance.policy import load_policy

    scrub_name = dataset.manifest.get("config", {}).get("policy")
    gates = load_policy(gates_name) if gates_name else (load_policy(scrub_name) if scrub_name else None)
    scanner = load_policy(scrub_name) if scrub_name else gates
    return gates, scanner


def _scrubber(ws: Workspace, loaded: Any) -> Any:
    from appliance.scrub import Scrubber, pseudonym_key

    needs_key = any(
        loaded.policy.operator(e).type in ("pseudonym", "surrogate") for e in loaded.policy.entities
    )
    return Scrubber(loaded, key=pseudonym_key(ws) if needs_key else None)


def evaluate(
    ws: Workspace,
    run: Artifact,
    cfg: EvaluateSection | None = None,
    sink: EventSink | None = None,
    gates: str | None = None,
    canaries: list[Any] | None = None,
) -> dict:
    """Evaluate `run` and decide its release gates; returns the report (with `verdict`).

    `gates`: a policy name/path whose gates decide (default `cfg.gates`, else the run's scrub policy).
    `canaries`: the canaries planted in this run's raw data; default: `cfg.canaries` canaries made from
    `cfg.seed` (the same ones `plant_canaries(make_canaries(n, seed))` plants); the report says which of them
    are in the training split ("planted") and which were only measured as a control."""
    from appliance.data import encode_chat_example, read_instruction_view, render_prompt
    from appliance.evaluate import fewshot, leakage
    from appliance.evaluate.generation import (
        example_losses,
        generate,
        generate_shared_prefix,
        pooled_loss,
        prefix_example_losses,
    )
    from appliance.evaluate.metrics import classification_metrics, generation_metrics
    from appliance.train import base_weights, encode_split, load_run_model

    t0 = time.monotonic()
    cfg = cfg or EvaluateSection()
    sink = sink or NullSink()
    train_cfg = TrainSection.model_validate(
        {k: v for k, v in run.manifest["config"].items() if k in TrainSection.model_fields}
    )
    sysp = train_cfg.system_prompt
    labels = run.manifest["config"].get("labels")
    dataset = ws.get("dataset", run.manifest["config"]["dataset"])
    gates_policy, scan_policy = _policy_for(ws, dataset, gates or cfg.gates)
    want_few = "few-shot" in cfg.baselines
    n_steps = (
        2
        + (1 if cfg.compare_records else 0)
        + (1 if cfg.canaries else 0)
        + (1 if cfg.leakage_generations else 0)
    )
    out_dir = run.path / EVAL_DIR
    written: list[Path] = []
    timings: dict[str, float] = {}
    mark = [time.monotonic()]

    def lap(name: str) -> None:
        now = time.monotonic()
        timings[name] = round(now - mark[0], 2)
        mark[0] = now

    with StageProgress(sink, "evaluate", n_steps, f"run {run.id}") as prog:
        model, tokenizer, base_art, device = load_run_model(ws, run)
        lap("load")
        split = "validation" if dataset.manifest["summary"].get("splits", {}).get("validation") else "train"
        examples, _ = encode_split(tokenizer, dataset.file(f"{split}.jsonl"), train_cfg.hparams.seq_len, sysp,
                                   labels)  # fmt: skip
        examples = [e for e in examples if not str(e.id).startswith("canary-")]
        if cfg.max_records:
            examples = examples[: cfg.max_records]
        if not examples:
            raise ApplianceError(f"dataset {dataset.id} has no {split} records to evaluate on")
        pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
        with base_weights(model, run, base_art.path):
            base_parts = example_losses(model, examples, pad_id, cfg.batch_size, device)
        base_loss = pooled_loss(base_parts)
        prog.advance(base_loss=base_loss)
        lap("loss_base")
        tuned_parts = example_losses(model, examples, pad_id, cfg.batch_size, device)
        tuned_loss = pooled_loss(tuned_parts)
        prog.advance(tuned_loss=tuned_loss)
        lap("loss_tuned")
        report: dict[str, Any] = {
            "run": run.id,
            "run_manifest_sha256": run.manifest_sha256,
            "dataset": dataset.id,
            "split": split,
            "examples": len(examples),
            "created": utc_now(),
            "config": cfg.model_dump(),
            "metrics": {
                "base": {"loss": _r(base_loss), "perplexity": _r(_ppl(base_loss), 4)},
                "tuned": {"loss": _r(tuned_loss), "perplexity": _r(_ppl(tuned_loss), 4)},
            },
        }
        report["improved"] = tuned_loss < base_loss
        scrubber = _scrubber(ws, scan_policy) if scan_policy is not None else None
        train_records = read_instruction_view(dataset.file("train.jsonl"), labels)
        real_train = [r for r in train_records if not str(r.get("id", "")).startswith("canary-")]
        samples: list[dict[str, Any]] = []

        # ---- baselines on one comparison sample
        if cfg.compare_records:
            eval_recs = [
                r for r in read_instruction_view(dataset.file(f"{split}.jsonl"), labels)
                if r.get("response") and not str(r.get("id", "")).startswith("canary-")
            ][: cfg.compare_records]  # fmt: skip
            shots = fewshot.select_shots(real_train, eval_recs, cfg.few_shot_k, cfg.seed) if want_few else []
            zs_prompts = [render_prompt(tokenizer, r, sysp) for r in eval_recs]
            refs = [r["response"] for r in eval_recs]
            zs_ex = [
                e for e in (encode_chat_example(tokenizer, r, train_cfg.hparams.seq_len, sysp) for r in eval_recs) if e
            ]  # fmt: skip
            systems: dict[str, dict[str, Any]] = {}
            preds: dict[str, list[str]] = {}
            # The comparison records are the first validation records, so the headline pass already scored
            # them (same encoding): reuse those per-example losses instead of a second pass.
            pos = {e.id: i for i, e in enumerate(examples)}
            reuse = all(e.id in pos for e in zs_ex)

            def sample_loss(parts: list[tuple[float, int]]) -> float:
                if reuse:
                    return pooled_loss([parts[pos[e.id]] for e in zs_ex])
                return pooled_loss(example_losses(model, zs_ex, pad_id, cfg.batch_size, device))

            with base_weights(model, run, base_art.path):
                loss = sample_loss(base_parts)
                preds["base_zero_shot"] = [t for t, _ in generate(model, tokenizer, zs_prompts, cfg.max_new_tokens, device, cfg.batch_size)]  # fmt: skip
                systems["base_zero_shot"] = {"loss": loss}
                lap("baselines_zero_shot")
                if shots:
                    positions = (
                        getattr(getattr(model, "config", None), "max_position_embeddings", None) or 10**6
                    )
                    fs_len = min(cfg.fewshot_seq_len, positions)
                    fs_msgs = [fewshot.few_shot_messages(r, shots, sysp) for r in eval_recs]
                    fs_ex = [
                        e for e in (fewshot.encode_prompt_target(tokenizer, m, r["response"], fs_len, r["id"])
                                    for m, r in zip(fs_msgs, eval_recs, strict=True)) if e
                    ]  # fmt: skip
                    fs_prompts = [fewshot.render_messages(tokenizer, m) for m in fs_msgs]
                    budget = max(16, fs_len - cfg.max_new_tokens)
                    systems["base_few_shot"] = {
                        "loss": pooled_loss(
                            prefix_example_losses(model, fs_ex, pad_id, cfg.batch_size, device)
                        )
                    }
                    longest = max(
                        len(tokenizer(p, add_special_tokens=False)["input_ids"]) for p in fs_prompts
                    )
                    if longest > budget:  # shots must be cut: the plain path truncates prompts from the left
                        fs_out = generate(model, tokenizer, fs_prompts, cfg.max_new_tokens, device, cfg.batch_size,
                                          max_prompt_tokens=budget)  # fmt: skip
                    else:  # the shots are a shared prefix: computed once (KV cache)
                        fs_out = generate_shared_prefix(model, tokenizer, fs_prompts, cfg.max_new_tokens, device, cfg.batch_size)  # fmt: skip
                    preds["base_few_shot"] = [t for t, _ in fs_out]
            lap("baselines_few_shot")
            systems["tuned"] = {"loss": sample_loss(tuned_parts)}
            preds["tuned"] = [t for t, _ in generate(model, tokenizer, zs_prompts, cfg.max_new_tokens, device, cfg.batch_size)]  # fmt: skip
            per_system_classes: dict[str, Any] = {}
            for name, s in systems.items():
                s["perplexity"] = _ppl(s["loss"])
                s.update(generation_metrics(preds[name], refs))
                if labels:  # classification: the answer's label (first line, trimmed) against the reference
                    answers = [p.strip().splitlines()[0].strip().rstrip(".") if p.strip() else "" for p in preds[name]]
                    cls = classification_metrics(refs, answers, labels)
                    per_system_classes[name] = cls
                    s.update({k: cls[k] for k in ("accuracy", "macro_precision", "macro_recall", "macro_f1")})
                systems[name] = {k: _r(v) for k, v in s.items()}
            if per_system_classes:
                report["classification"] = {n: {k: v for k, v in c.items() if k in ("per_class", "confusion_matrix")}
                                            for n, c in per_system_classes.items()}  # fmt: skip
            lift = {}
            for b in ("base_zero_shot", "base_few_shot"):
                if b in systems:
                    lift[f"vs_{b}"] = {k: _r(systems["tuned"][k] - systems[b][k]) for k in systems["tuned"]}
            report["baselines"] = {
                "records": len(eval_recs),
                "record_ids": [r["id"] for r in eval_recs],
                "few_shot_k": len(shots),
                "few_shot_ids": [s["id"] for s in shots],
                "max_new_tokens": cfg.max_new_tokens,
                "decoding": "greedy",
                "systems": systems,
                "lift": lift,
            }
            for name, texts in preds.items():
                for r, t in zip(eval_recs, texts, strict=True):
                    samples.append({"kind": "task", "system": name, "id": r["id"], "prediction": t, "reference": r["response"]})  # fmt: skip
            prog.advance(tuned_token_f1=systems["tuned"]["token_f1"])
            lap("baselines")

        # ---- leakage: canaries
        leak: dict[str, Any] = {"policy": scan_policy.policy.name if scan_policy else None}
        if cfg.canaries:
            cans = (
                canaries
                if canaries is not None
                else leakage.make_canaries(cfg.canaries, cfg.seed, cfg.canary_template)
            )
            train_ids = {str(r.get("id", "")) for r in train_records}

            def render(p: str) -> str:
                return render_prompt(tokenizer, {"prompt": p}, sysp)

            tuned_res = leakage.canary_exposure(
                model, tokenizer, cans, render, device, cfg.canary_candidates, cfg.seed
            )
            base_res: list[dict[str, Any]] = []
            if cfg.canary_base_control:  # the same canaries on the base model: what "never seen" scores
                with base_weights(model, run, base_art.path):
                    base_res = leakage.canary_exposure(
                        model, tokenizer, cans, render, device, cfg.canary_candidates, cfg.seed
                    )
            for i, (c, t) in enumerate(zip(cans, tuned_res, strict=True)):
                t["planted"] = any(x == c.id or x.startswith(c.id + "-") for x in train_ids)
                if base_res:
                    t["base_exposure"], t["base_emitted"] = base_res[i]["exposure"], base_res[i]["emitted"]
            leak["canaries"] = {
                "template": cfg.canary_template if canaries is None else "given",
                "planted": sum(1 for t in tuned_res if t["planted"]),
                **leakage.summarize_canaries(tuned_res),
                "base": leakage.summarize_canaries(base_res) if base_res else None,
                "results": tuned_res,
            }
            prog.advance(canary_emissions=leak["canaries"]["emissions"])
            lap("canaries")

        # ---- leakage: identifiers in sampled generations from training prompts, regurgitation
        if cfg.leakage_generations and real_train:
            rng = random.Random(cfg.seed)
            picks = rng.sample(real_train, min(cfg.leakage_generations, len(real_train)))
            prompts = [render_prompt(tokenizer, r, sysp) for r in picks]
            gens = generate(model, tokenizer, prompts, cfg.max_new_tokens, device, cfg.batch_size, sample=True,
                            temperature=cfg.temperature, seed=cfg.seed)  # fmt: skip
            texts = [t for t, _ in gens]
            ntok = sum(n for _, n in gens)
            if scrubber is not None:
                leak["identifiers"], scrubbed = leakage.identifier_scan(scrubber, texts, ntok)
                for r, t in zip(picks, scrubbed, strict=True):
                    samples.append({"kind": "leakage", "system": "tuned", "id": r["id"], "prediction": t})
                if cfg.identifier_base_control:  # the same prompts and sampling on the base model
                    with base_weights(model, run, base_art.path):
                        bgens = generate(model, tokenizer, prompts, cfg.max_new_tokens, device, cfg.batch_size,
                                         sample=True, temperature=cfg.temperature, seed=cfg.seed)  # fmt: skip
                    leak["identifiers"]["base"], _ = leakage.identifier_scan(
                        scrubber, [t for t, _ in bgens], sum(n for _, n in bgens))  # fmt: skip
            leak["regurgitation"] = leakage.regurgitation(texts, [r["response"] for r in picks])
            leak["sampling"] = {
                "temperature": cfg.temperature,
                "top_p": 0.95,
                "max_new_tokens": cfg.max_new_tokens,
            }
            prog.advance(identifiers=(leak.get("identifiers") or {}).get("identifiers"))
            lap("leakage_generations")
        report["leakage"] = leak

        # ---- samples (scrubbed with the policy; none saved without one)
        out_dir.mkdir(parents=True, exist_ok=True)
        if samples and scrubber is not None:
            task = [s for s in samples if s["kind"] == "task"]
            if task:
                done = scrubber.scrub_texts([s["prediction"] for s in task] + [s["reference"] for s in task])
                for i, s in enumerate(task):
                    s["prediction"], s["reference"] = done[i].text, done[len(task) + i].text
            path = out_dir / "samples.jsonl"
            path.write_text("".join(json.dumps(s, ensure_ascii=False) + "\n" for s in samples), "utf-8")
            written.append(path)
            report["samples"] = {"file": f"{EVAL_DIR}/samples.jsonl", "count": len(samples), "scrubbed_with": scan_policy.policy.name}  # fmt: skip
        else:
            report["samples"] = {"file": None, "count": 0, "note": "not saved: no policy to scrub them with"}

        # ---- gates
        pol = {"name": gates_policy.policy.name, "version": gates_policy.policy.version, "sha256": gates_policy.sha256} if gates_policy else {}  # fmt: skip
        verdict = check_gates(report, gates_policy.policy.gates if gates_policy else None, pol)
        verdict["created"] = utc_now()
        report["verdict"] = {"passed": verdict["passed"], "failed": verdict["failed"], "policy": pol, "file": f"{EVAL_DIR}/{VERDICT_FILE}"}  # fmt: skip
        lap("samples_and_gates")
        report["seconds"] = round(time.monotonic() - t0, 1)
        report["timings"] = timings
        path = out_dir / "report.json"
        write_json_atomic(path, report)
        written.append(path)
        vpath = out_dir / VERDICT_FILE
        write_json_atomic(vpath, verdict)
        written.append(vpath)
        from appliance.evaluate.card import build_model_card

        md, card = build_model_card(ws, run, report, verdict)
        write_json_atomic(out_dir / "model_card.json", card)
        (out_dir / "model_card.md").write_text(md, "utf-8")
        written += [out_dir / "model_card.json", out_dir / "model_card.md"]
        prog.end(
            f"run {run.id}: {'PASS' if verdict['passed'] else 'FAIL'}",
            ppl_before=_ppl(base_loss),
            ppl_after=_ppl(tuned_loss),
        )
    try:
        AuditLog(ws.audit_dir, ws.keys_dir).record(
            "evaluate.complete",
            artifacts={run.id: run.manifest_sha256, **{f"{run.id}/{p.relative_to(run.path).as_posix()}": sha256_file(p) for p in written}},
            details={
                "split": split,
                "examples": len(examples),
                **{f"{k}_loss": v["loss"] for k, v in report["metrics"].items()},
                "gates_policy": pol,
                "verdict": "pass" if verdict["passed"] else "fail",
                "failed_rules": verdict["failed"],
                "canary_emissions": (leak.get("canaries") or {}).get("emissions"),
                "identifiers_per_1k_tokens": (leak.get("identifiers") or {}).get("per_1k_tokens"),
            },
        )  # fmt: skip
    except Exception:
        for p in written:  # fail-closed: no unaudited report or verdict
            p.unlink(missing_ok=True)
        raise
    return report


__all__ = ["check_gates", "describe", "evaluate", "load_verdict", "release_check"]


def eval_dir(run: Artifact) -> Path:
    return Path(run.path) / EVAL_DIR
