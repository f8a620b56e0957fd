"""ONNX export (foundation: merged fp32 logits graph, parity-checked against PyTorch with onnxruntime).

The adapter is merged into a full-precision copy of the base (never the 4-bit one), exported with
`torch.onnx.export(dynamo=True)` with dynamic batch and sequence, and compared with onnxruntime on real
prompts from the run's own (scrubbed) validation data. The export issue adds KV cache, fp16/int4 and Triton.
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
from appliance.workspace import Artifact, Workspace

TOKENIZER_FILES = (
    "tokenizer.json",
    "tokenizer_config.json",
    "special_tokens_map.json",
    "chat_template.jinja",
    "generation_config.json",
    "config.json",
)


class _LogitsOnly:
    """Factory for a torch module returning only logits (no cache), the graph's single output."""

    @staticmethod
    def wrap(model: Any) -> Any:
        import torch

        class LogitsOnly(torch.nn.Module):
            def __init__(self, inner: Any):
                super().__init__()
                self.inner = inner

            def forward(self, input_ids: Any, attention_mask: Any) -> Any:
                return self.inner(input_ids=input_ids, attention_mask=attention_mask, use_cache=False).logits

        return LogitsOnly(model).eval()


def merge_adapter(base_dir: Path, adapter_dir: Path) -> Any:
    import torch
    from peft import PeftModel
    from transformers import AutoModelForCausalLM

    base = AutoModelForCausalLM.from_pretrained(str(base_dir), dtype=torch.float32)
    merged = PeftModel.from_pretrained(base, str(adapter_dir)).merge_and_unload()
    merged.config.use_cache = False
    return merged.eval()


def export_logits_graph(model: Any, out_path: Path, example: tuple[Any, Any]) -> None:
    import torch

    batch, seq = torch.export.Dim("batch"), torch.export.Dim("sequence")
    with torch.no_grad():
        program = torch.onnx.export(
            _LogitsOnly.wrap(model),
            example,
            dynamo=True,
            input_names=["input_ids", "attention_mask"],
            output_names=["logits"],
            dynamic_shapes={"input_ids": {0: batch, 1: seq}, "attention_mask": {0: batch, 1: seq}},
            # onnxruntime optimizes the graph when it loads it; skipping this pass halves export time.
            optimize=False,
            verbose=False,
        )
    program.save(str(out_path), external_data=True)


def parity_check(model: Any, onnx_path: Path, tokenizer: Any, prompts: list[str], tolerance: float) -> dict:
    """max |Δlogits| between PyTorch and onnxruntime on real prompts, one by one and as one padded batch."""
    import numpy as np
    import torch

    from appliance.serve import open_session

    session = open_session(onnx_path)
    wrapped = _LogitsOnly.wrap(model)
    cases = [[p] for p in prompts] + [prompts]
    max_abs, agree, total = 0.0, 0, 0
    for texts in cases:
        enc = tokenizer(texts, return_tensors="pt", padding=True, add_special_tokens=False)
        with torch.no_grad():
            ref = wrapped(enc["input_ids"], enc["attention_mask"]).numpy()
        got = session.run(
            ["logits"],
            {"input_ids": enc["input_ids"].numpy(), "attention_mask": enc["attention_mask"].numpy()},
        )[0]
        mask = enc["attention_mask"].numpy().astype(bool)
        max_abs = max(max_abs, float(np.abs(ref - got)[mask].max()))
        agree += int((ref.argmax(-1) == got.argmax(-1))[mask].sum())
        total += int(mask.sum())
    return {
        "provider": session.get_providers()[0],
        "prompts": len(prompts),
        "cases": len(cases),
        "positions_compared": total,
        "max_abs_logit_diff": max_abs,
        "argmax_agreement": agree / total,
        "tolerance": tolerance,
        "passed": max_abs <= tolerance,
    }


def export_onnx(
    ws: Workspace,
    run: Artifact,
    cfg: OnnxExport | None = None,
    out: Path | None = None,
    sink: EventSink | None = None,
) -> Artifact:
    from transformers import AutoTokenizer

    from appliance.data import read_canonical, render_prompt

    cfg = cfg or OnnxExport()
    sink = sink or NullSink()
    if out is not None and out.exists() and any(out.iterdir()):
        raise BadInput(f"--out {out} exists and is not empty; choose a new folder")
    base = ws.get("model", run.manifest["config"]["base_model"])
    dataset = ws.get("dataset", run.manifest["config"]["dataset"])
    train_cfg = TrainSection.model_validate(
        {k: v for k, v in run.manifest["config"].items() if k in TrainSection.model_fields}
    )
    tokenizer = AutoTokenizer.from_pretrained(str(base.path))
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    split = "validation" if dataset.file("validation.jsonl").stat().st_size else "train"
    records = read_canonical(dataset.file(f"{split}.jsonl"))[: cfg.parity_prompts]
    prompts = [render_prompt(tokenizer, r, train_cfg.system_prompt) for r in records]

    with ws.new_artifact(
        "export", inputs=[run.ref(), base.ref()], config={"format": "onnx", **cfg.model_dump()}
    ) as b:
        with StageProgress(sink, "export", 3, "onnx fp32") as prog:
            model = merge_adapter(base.path, run.path / "adapter")
            prog.advance(step="merged")
            example = tokenizer(prompts[:2], return_tensors="pt", padding=True, add_special_tokens=False)
            export_logits_graph(
                model, b.path / "model.onnx", (example["input_ids"], example["attention_mask"])
            )
            prog.advance(step="exported")
            parity = parity_check(model, b.path / "model.onnx", tokenizer, prompts, cfg.parity_tolerance)
            (b.path / "parity.json").write_text(json.dumps(parity, indent=2) + "\n")
            prog.advance(max_abs_diff=parity["max_abs_logit_diff"])
            if not parity["passed"]:
                raise ApplianceError(
                    f"ONNX parity failed: max |Δlogits| {parity['max_abs_logit_diff']:.3g} > "
                    f"{cfg.parity_tolerance}; "
                    "the export was not kept"
                )
            for name in TOKENIZER_FILES:
                if (base.path / name).is_file():
                    shutil.copy2(base.path / name, b.path / name)
            b.summary = {"run": run.id, "precision": "fp32", "parity": parity}
    art = ws.get("export", b.id)
    audit_artifact(
        ws,
        "export.onnx",
        art,
        {
            "precision": "fp32",
            "max_abs_logit_diff": parity["max_abs_logit_diff"],
            "parity_passed": parity["passed"],
        },
        extra={
            run.id: run.manifest_sha256,
            **{
                f"{art.id}/{name}": meta["sha256"]
                for name, meta in art.manifest["files"].items()
                if ".onnx" in name
            },
        },
    )
    if out is not None:
        copy_bundle(art.path, out)
    return art


def copy_bundle(src: Path, dst: Path) -> None:
    """Copy an export folder to `dst` atomically (a partial copy never appears under the final name)."""
    tmp = dst.with_name(f".{dst.name}.partial")
    shutil.rmtree(tmp, ignore_errors=True)
    shutil.copytree(src, tmp)
    if dst.exists():
        dst.rmdir()  # checked empty above
    tmp.rename(dst)
