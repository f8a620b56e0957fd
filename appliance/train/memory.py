"""Memory planner: estimate peak training memory before loading anything, and refuse what will not fit.

A guard, not a profiler, calibrated against measured peaks (bench/gpu_profile.py on an H200, torch 2.11,
bitsandbytes 0.50, QLoRA r 16 on all linear layers; see docs/training-bench.md):
  weights      NF4 ~0.56 byte/param incl. double-quantised constants, embeddings/head in fp32 (peft's
               k-bit preparation casts them; measured); 16-bit for LoRA on a GPU, fp32 for full/frozen-layer
               training and on CPU;
  trainable    parameters + gradients + AdamW moments, 16 bytes each (fp32);
  activations  kept for the backward pass, per token per layer ~116 bytes per hidden unit with bf16 autocast
               (150 in fp32): the block's inputs, attention, MLP (intermediate ~2.7 x hidden), LoRA inputs and
               dropout masks; plus ~1 byte per head per query-key pair of each packed row (width^2, the width
               at most seq_len);
               with gradient checkpointing each layer keeps ~4 bytes per hidden unit + 4 KiB per token, plus
               one layer being recomputed;
  logits       fp32 output-head logits of the answer tokens (every token, in the worst case);
  workspace    512 MiB on a GPU (cuBLAS workspaces, allocator rounding).
The CPU constant (fp32) comes from the GPU's fp32 runs; on CPU a plan for the data's tokens came to the
measured peak RSS of bench/train.py less the Python/torch runtime (~2.4 + ~1.2 GB vs 3.7 GB, SmolLM2 4 x 512).
Tokens per micro-batch are the worst case: batch_size x seq_len, or the `batch_size` longest encoded examples
when the data is known (train() plans after encoding).
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
ACTIVATION_BYTES_PER_HIDDEN = {"bf16": 116, "fp32": 150}  # per token per layer, no checkpointing
CHECKPOINT_BYTES_PER_HIDDEN, CHECKPOINT_BYTES_PER_TOKEN_LAYER = 4, 4096
ATTENTION_BYTES_PER_PAIR = 1  # per head, per query-key pair of a packed row, per layer
GPU_WORKSPACE_MB = 512
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


def _native_bf16() -> bool:
    """Whether training on this host's GPU runs under bf16 autocast; True when planning for a GPU elsewhere."""
    import torch

    return not torch.cuda.is_available() or torch.cuda.is_bf16_supported(including_emulation=False)


def plan(
    model_dir: Path, cfg: TrainSection, device: str, available: float | None = None, tokens: int | None = None
) -> MemoryPlan:
    """`tokens`: real tokens of the largest micro-batch when the data is known (else batch_size x seq_len)."""
    mc = _model_config(model_dir)
    hp = cfg.hparams
    n = count_parameters(mc)
    h, n_layers, vocab = mc["hidden_size"], mc["num_hidden_layers"], mc["vocab_size"]
    gpu = device == "cuda"
    bf16 = gpu and hp.precision == "auto" and _native_bf16()
    embed = vocab * h * (1 if mc.get("tie_word_embeddings", False) else 2)
    if cfg.method == "qlora":
        weights = (n - embed) * NF4_BYTES_PER_PARAM + embed * 4  # peft's k-bit preparation casts them to fp32
    else:
        weights = n * (4 if cfg.method in ("full", "freeze") or not gpu else 2)
    if cfg.method in ("qlora", "lora"):
        trainable = lora_parameters(mc, cfg.lora.r)
    elif cfg.method == "full":
        trainable = n
    elif cfg.method == "freeze":
        trainable = int((n - vocab * h) * min(cfg.trainable_layers, n_layers) / n_layers) + vocab * h
    else:
        trainable = h * 16
    tokens = tokens if tokens is not None else hp.batch_size * hp.seq_len
    per_layer = ACTIVATION_BYTES_PER_HIDDEN["bf16" if bf16 else "fp32"] * h
    # Packed rows up to seq_len wide; attention keeps ~1 byte per head per (query, key) pair of a row per layer.
    width = max(min(hp.seq_len, tokens), 1)
    rows = -(-tokens // width)
    attention = rows * mc.get("num_attention_heads", 1) * width**2 * ATTENTION_BYTES_PER_PAIR
    if cfg.method == "feature-extraction":
        activations = tokens * h * 4 * 2  # no backward through the body
    elif hp.gradient_checkpointing:
        kept = CHECKPOINT_BYTES_PER_HIDDEN * h + CHECKPOINT_BYTES_PER_TOKEN_LAYER
        activations = tokens * (n_layers * kept + per_layer) + attention
    else:
        activations = tokens * n_layers * per_layer + n_layers * attention
    logits = 0 if cfg.head == "sequence" else tokens * vocab * 4
    mb = 2**20
    total = weights + trainable * 16 + activations + logits + (GPU_WORKSPACE_MB * mb if gpu else 0)
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


def check(model_dir: Path, cfg: TrainSection, device: str, tokens: int | None = None) -> MemoryPlan | None:
    """The plan, or an ApplianceError that says what will not fit and what to change. None when the model's
    config is not a decoder the planner knows (it then trains unplanned, as before)."""
    try:
        p = plan(model_dir, cfg, device, tokens=tokens)
    except (KeyError, TypeError, OSError, ValueError):
        return None
    if not p.fits:
        raise ApplianceError(
            f"training will not fit on {device}: needs about {p.total_mb:,.0f} MiB (weights {p.weights_mb:,.0f}, "
            f"trainable state {p.trainable_mb:,.0f}, activations {p.activations_mb:,.0f}, logits "
            f"{p.logits_mb:,.0f}) but {p.available_mb:,.0f} MiB are free. Try {p.suggestion}."
        )
    return p
