"""Run an exported decoder with onnxruntime, with its KV cache: one token per decode step.

CUDA execution provider when a GPU is present, CPU otherwise, and it says which (`provider`). Input and
output names come from the export's genai_config.json (onnxruntime-genai layout), so the same folder also
runs under onnxruntime-genai or Triton.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from appliance.errors import BadInput

VARIANT_ORDER_GPU = ("fp16", "fp32", "int4")
VARIANT_ORDER_CPU = ("fp32", "int4")


def gpu_present() -> bool:
    return os.path.exists("/dev/nvidiactl")


def choose_providers() -> list[str]:
    import onnxruntime as ort

    available = ort.get_available_providers()
    # onnxruntime-gpu lists CUDA even on hosts without a GPU; only ask for it where a device node exists.
    if "CUDAExecutionProvider" in available and gpu_present():
        return ["CUDAExecutionProvider", "CPUExecutionProvider"]
    return ["CPUExecutionProvider"]


def open_session(model_path: Path, providers: list[str] | None = None) -> Any:
    import onnxruntime as ort

    if not model_path.is_file():
        raise BadInput(f"{model_path}: no ONNX model here; give a folder written by `appliance export onnx`")
    opts = ort.SessionOptions()
    opts.log_severity_level = 3
    return ort.InferenceSession(str(model_path), sess_options=opts, providers=providers or choose_providers())


def resolve_variant(export_dir: Path, precision: str | None = None) -> Path:
    """An export folder holds one sub-folder per precision; pick the requested or the best for this host."""
    export_dir = Path(export_dir)
    if (export_dir / "genai_config.json").is_file():
        return export_dir
    order = [precision] if precision else list(VARIANT_ORDER_GPU if gpu_present() else VARIANT_ORDER_CPU)
    for p in order:
        if (export_dir / p / "genai_config.json").is_file():
            return export_dir / p
    have = (
        sorted(p.name for p in export_dir.iterdir() if (p / "genai_config.json").is_file())
        if export_dir.is_dir()
        else []
    )
    raise BadInput(
        f"{export_dir}: no {precision or 'usable'} model variant here (found: {', '.join(have) or 'none'})"
    )


@dataclass(frozen=True)
class DecoderSpec:
    layers: int
    kv_heads: int
    head_size: int
    past_key: str
    past_value: str
    present_key: str
    present_value: str
    eos: tuple[int, ...]

    @classmethod
    def load(cls, variant_dir: Path) -> DecoderSpec:
        cfg = json.loads((variant_dir / "genai_config.json").read_text("utf-8"))
        m, d = cfg["model"], cfg["model"]["decoder"]
        eos = m["eos_token_id"]
        return cls(
            layers=d["num_hidden_layers"],
            kv_heads=d["num_key_value_heads"],
            head_size=d["head_size"],
            past_key=d["inputs"]["past_key_names"],
            past_value=d["inputs"]["past_value_names"],
            present_key=d["outputs"]["present_key_names"],
            present_value=d["outputs"]["present_value_names"],
            eos=tuple(eos) if isinstance(eos, list) else (eos,),
        )


class OnnxDecoder:
    """Prefill + KV-cached decode steps over a decoder graph (batch of right-padded sequences)."""

    def __init__(self, variant_dir: Path | str, providers: list[str] | None = None):
        self.dir = Path(variant_dir)
        self.spec = DecoderSpec.load(self.dir)
        self.session = open_session(self.dir / "model.onnx", providers)
        self.provider = self.session.get_providers()[0]
        self.kv_dtype = _np_dtype(
            next(i for i in self.session.get_inputs() if i.name.startswith("past")).type
        )
        self.output_names = [o.name for o in self.session.get_outputs()]

    def empty_cache(self, batch: int) -> dict[str, Any]:
        import numpy as np

        s = self.spec
        shape = (batch, s.kv_heads, 0, s.head_size)
        cache = {}
        for layer in range(s.layers):
            cache[s.past_key % layer] = np.zeros(shape, dtype=self.kv_dtype)
            cache[s.past_value % layer] = np.zeros(shape, dtype=self.kv_dtype)
        return cache

    def forward(
        self, input_ids: Any, attention_mask: Any, cache: dict[str, Any] | None = None
    ) -> tuple[Any, dict]:
        """Logits for `input_ids` given the cache of the earlier tokens; returns the grown cache."""
        import numpy as np

        feed = {"input_ids": input_ids.astype(np.int64), "attention_mask": attention_mask.astype(np.int64)}
        feed.update(cache if cache is not None else self.empty_cache(input_ids.shape[0]))
        outs = dict(zip(self.output_names, self.session.run(None, feed), strict=True))
        s = self.spec
        new_cache = {}
        for layer in range(s.layers):
            new_cache[s.past_key % layer] = outs[s.present_key % layer]
            new_cache[s.past_value % layer] = outs[s.present_value % layer]
        return outs["logits"].astype(np.float32), new_cache

    def generate_ids(
        self,
        prompt_ids: list[int],
        max_new_tokens: int,
        temperature: float = 0.0,
        top_p: float = 1.0,
        seed: int = 0,
        on_token: Callable[[int], None] | None = None,
    ) -> list[int]:
        """Greedy (temperature 0) or sampled generation for one prompt; stops at end-of-sequence."""
        import numpy as np

        rng = np.random.default_rng(seed)
        ids = np.array([prompt_ids], dtype=np.int64)
        logits, cache = self.forward(ids, np.ones_like(ids))
        out: list[int] = []
        total = ids.shape[1]
        for _ in range(max_new_tokens):
            nxt = _pick(logits[0, -1], temperature, top_p, rng)
            if nxt in self.spec.eos:
                break
            out.append(nxt)
            if on_token:
                on_token(nxt)
            total += 1
            logits, cache = self.forward(np.array([[nxt]]), np.ones((1, total), dtype=np.int64), cache)
        return out


def _pick(logits: Any, temperature: float, top_p: float, rng: Any) -> int:
    import numpy as np

    if temperature <= 0:
        return int(logits.argmax())
    z = (logits - logits.max()) / temperature
    p = np.exp(z)
    p /= p.sum()
    order = np.argsort(-p)
    keep = order[: int(np.searchsorted(np.cumsum(p[order]), top_p) + 1)]
    q = p[keep] / p[keep].sum()
    return int(rng.choice(keep, p=q))


def _np_dtype(onnx_type: str) -> Any:
    import numpy as np

    return {"tensor(float16)": np.float16, "tensor(float)": np.float32, "tensor(bfloat16)": np.float32}[
        onnx_type
    ]


class OnnxGenerator:
    """Chat-templated generation from an export folder (`appliance infer`)."""

    def __init__(self, export_dir: Path | str, precision: str | None = None):
        from transformers import AutoTokenizer

        self.dir = resolve_variant(Path(export_dir), precision)
        self.decoder = OnnxDecoder(self.dir)
        self.provider = self.decoder.provider
        self.precision = self.dir.name
        self.tokenizer = AutoTokenizer.from_pretrained(str(self.dir))

    def prompt_ids(self, prompt: str, chat: bool = True) -> list[int]:
        tok = self.tokenizer
        text = (
            tok.apply_chat_template(
                [{"role": "user", "content": prompt}], tokenize=False, add_generation_prompt=True
            )
            if chat and tok.chat_template
            else prompt
        )
        return tok(text, add_special_tokens=False)["input_ids"]

    def stream(
        self, prompt: str, max_new_tokens: int = 64, temperature: float = 0.0, seed: int = 0
    ) -> Iterator[str]:
        """Yield text pieces as tokens are generated."""
        import queue
        import threading

        q: queue.Queue = queue.Queue()
        ids: list[int] = []

        def emit(token: int) -> None:
            q.put(token)

        def run() -> None:
            try:
                self.decoder.generate_ids(
                    self.prompt_ids(prompt), max_new_tokens, temperature, seed=seed, on_token=emit
                )
            finally:
                q.put(None)

        threading.Thread(target=run, daemon=True).start()
        shown = ""
        while (tok := q.get()) is not None:
            ids.append(tok)
            text = self.tokenizer.decode(ids, skip_special_tokens=True)
            yield text[len(shown) :]
            shown = text

    def generate(
        self, prompt: str, max_new_tokens: int = 64, chat: bool = True, temperature: float = 0.0
    ) -> str:
        new = self.decoder.generate_ids(self.prompt_ids(prompt, chat), max_new_tokens, temperature)
        return self.tokenizer.decode(new, skip_special_tokens=True)
