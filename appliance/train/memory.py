"""Memory planner: estimate peak training memory before loading anything, and refuse what will not fit.

The estimate is deliberately simple and a little pessimistic (it is a guard, not a profiler):
weights (NF4 ~0.56 byte/param incl. double-quantised constants; 16-bit or fp32 otherwise) + trainable
parameters with their gradients and AdamW moments (16 bytes each in fp32) + activations kept for the
backward pass (~18 hidden-size values per token per layer in the compute dtype, one layer's worth with
gradient checkpointing) + the output-head logits of the answer tokens in fp32 (x2 for their gradient).
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from appliance.config import TrainSection
from appliance.errors import ApplianceError

NF4_BYTES_PER_PARAM = 0.5625
ACTIVATION_VALUES_PER_TOKEN_LAYER = 18
HEADROOM = 0.9  # plan against 90% of what is free


@dataclass(frozen=True)
class MemoryPlan:
    device: str
    available_mb: float
    weights_mb: float
    trainable_mb: float
    activations_mb: float
    logits_mb: float
    total_mb: float
    fits: bool
    parameters: int
    trainable_parameters: int
    suggestion: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {k: (round(v, 1) if isinstance(v, float) else v) for k, v in asdict(self).items()}


def _model_config(model_dir: Path) -> dict[str, Any]:
    return json.loads((model_dir / "config.json").read_text("utf-8"))


def block_linear_shapes(cfg: dict[str, Any]) -> list[tuple[int, int]]:
    """(in, out) of the seven linear layers of one Llama-style block: q, k, v, o, gate, up, down."""
    h = cfg["hidden_size"]
    inter = cfg.get("intermediate_size", 4 * h)
    heads = cfg.get("num_attention_heads", 1)
    kv = cfg.get("num_key_value_heads", heads)
    head_dim = cfg.get("head_dim") or h // heads
    return [(h, heads * head_dim), (h, kv * head_dim), (h, kv * head_dim), (heads * head_dim, h),
            (h, inter), (h, inter), (inter, h)]  # fmt: skip


def count_parameters(cfg: dict[str, Any]) -> int:
    """Parameters of a Llama-style decoder from its config (embeddings, blocks, head)."""
    h, vocab = cfg["hidden_size"], cfg["vocab_size"]
    per_layer = sum(a * b for a, b in block_linear_shapes(cfg)) + 2 * h  # + two norms
    head = 0 if cfg.get("tie_word_embeddings", False) else vocab * h
    return vocab * h + cfg["num_hidden_layers"] * per_layer + h + head


def lora_parameters(cfg: dict[str, Any], r: int) -> int:
    return cfg["num_hidden_layers"] * sum(r * (a + b) for a, b in block_linear_shapes(cfg))


def available_mb(device: str) -> float:
    if device == "cuda":
        import torch

        free, _total = torch.cuda.mem_get_info()
        return free / 2**20
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE") / 2**20


def plan(model_dir: Path, cfg: TrainSection, device: str, available: float | None = None) -> MemoryPlan:
    mc = _model_config(model_dir)
    hp = cfg.hparams
    n = count_parameters(mc)
    h, n_layers, vocab = mc["hidden_size"], mc["num_hidden_layers"], mc["vocab_size"]
    act_bytes = 2 if device == "cuda" else 4
    if cfg.method == "qlora":
        weights = n * NF4_BYTES_PER_PARAM + vocab * h * 4  # embeddings/head stay unquantised
    else:
        weights = n * (4 if cfg.method in ("full", "freeze") or device == "cpu" else 2)
    if cfg.method in ("qlora", "lora"):
        trainable = lora_parameters(mc, cfg.lora.r)
    elif cfg.method == "full":
        trainable = n
    elif cfg.method == "freeze":
        trainable = int((n - vocab * h) * min(cfg.trainable_layers, n_layers) / n_layers) + vocab * h
    else:
        trainable = h * 16
    tokens = hp.batch_size * hp.seq_len
    layers_kept = 1 if hp.gradient_checkpointing else n_layers
    activations = tokens * h * ACTIVATION_VALUES_PER_TOKEN_LAYER * act_bytes * layers_kept
    if hp.gradient_checkpointing:
        activations += tokens * h * act_bytes * n_layers  # the checkpointed layer inputs
    if cfg.method == "feature-extraction":
        activations = tokens * h * act_bytes * 2  # no backward through the body
    logits = 0 if cfg.head == "sequence" else tokens * vocab * 4 * 2
    total = weights + trainable * 16 + activations + logits
    mb = 2**20
    avail = available_mb(device) if available is None else available
    fits = total / mb <= avail * HEADROOM
    suggestion = ""
    if not fits:
        tips = []
        if not hp.gradient_checkpointing and cfg.method != "feature-extraction":
            tips.append("hparams.gradient_checkpointing: true")
        if hp.batch_size > 1:
            tips.append(f"hparams.batch_size: {max(hp.batch_size // 2, 1)} with grad_accum: {hp.grad_accum * 2} "
                        "(same global batch)")  # fmt: skip
        if cfg.method != "qlora":
            tips.append("method: qlora (4-bit base)")
        tips.append(f"a shorter hparams.seq_len than {hp.seq_len}")
        suggestion = "; or ".join(tips)
    return MemoryPlan(device, avail, weights / mb, trainable * 16 / mb, activations / mb, logits / mb,
                      total / mb, fits, n, trainable, suggestion)  # fmt: skip


def check(model_dir: Path, cfg: TrainSection, device: str) -> MemoryPlan | None:
    """The plan, or an ApplianceError that says what will not fit and what to change. None when the model's
    config is not a decoder the planner knows (it then trains unplanned, as before)."""
    try:
        p = plan(model_dir, cfg, device)
    except (KeyError, TypeError, OSError, ValueError):
        return None
    if not p.fits:
        raise ApplianceError(
            f"training will not fit on {device}: needs about {p.total_mb:,.0f} MiB (weights {p.weights_mb:,.0f}, "
            f"trainable state {p.trainable_mb:,.0f}, activations {p.activations_mb:,.0f}, logits "
            f"{p.logits_mb:,.0f}) but {p.available_mb:,.0f} MiB are free. Try {p.suggestion}."
        )
    return p
