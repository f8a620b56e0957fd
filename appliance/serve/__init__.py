"""Run an exported model with onnxruntime: CUDA execution provider when a GPU is present, else CPU.

Foundation: greedy generation over the logits graph (the full sequence each step). The export issue adds a
KV-cache graph so each step costs one token.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from appliance.errors import BadInput


def choose_providers() -> list[str]:
    import onnxruntime as ort

    available = ort.get_available_providers()
    # onnxruntime-gpu lists CUDA even on hosts without a GPU; only ask for it where a device node exists.
    if "CUDAExecutionProvider" in available and os.path.exists("/dev/nvidiactl"):
        return ["CUDAExecutionProvider", "CPUExecutionProvider"]
    return ["CPUExecutionProvider"]


def open_session(model_path: Path) -> Any:
    import onnxruntime as ort

    if not model_path.is_file():
        raise BadInput(
            f"{model_path}: no ONNX model here; give the folder written by `appliance export onnx`"
        )
    opts = ort.SessionOptions()
    opts.log_severity_level = 3
    return ort.InferenceSession(str(model_path), sess_options=opts, providers=choose_providers())


class OnnxGenerator:
    def __init__(self, export_dir: Path | str):
        from transformers import AutoTokenizer

        self.dir = Path(export_dir)
        self.session = open_session(self.dir / "model.onnx")
        self.provider = self.session.get_providers()[0]
        self.tokenizer = AutoTokenizer.from_pretrained(str(self.dir))

    def logits(self, input_ids: Any, attention_mask: Any) -> Any:
        return self.session.run(["logits"], {"input_ids": input_ids, "attention_mask": attention_mask})[0]

    def generate(self, prompt: str, max_new_tokens: int = 64, chat: bool = True) -> str:
        import numpy as np

        tok = self.tokenizer
        text = (
            tok.apply_chat_template(
                [{"role": "user", "content": prompt}], tokenize=False, add_generation_prompt=True
            )
            if chat and tok.chat_template
            else prompt
        )
        ids = tok(text, add_special_tokens=False, return_tensors="np")["input_ids"].astype(np.int64)
        eos = {tok.eos_token_id} if tok.eos_token_id is not None else set()
        new: list[int] = []
        for _ in range(max_new_tokens):
            logits = self.logits(ids, np.ones_like(ids))
            nxt = int(logits[0, -1].argmax())
            if nxt in eos:
                break
            new.append(nxt)
            ids = np.concatenate([ids, np.array([[nxt]], dtype=np.int64)], axis=1)
        return tok.decode(new, skip_special_tokens=True)
