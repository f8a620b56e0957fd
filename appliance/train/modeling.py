"""Load a workspace model for fine-tuning and make the right parameters trainable, per method.

qlora: bitsandbytes NF4 base (double quantization) + LoRA adapters; lora: float base + adapters;
full: every weight; freeze: only the last N blocks, the final norm and the output head;
feature-extraction: nothing in the base (a classification head on mean-pooled hidden states is trained).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from appliance.config import PEFT_METHODS, TrainSection
from appliance.errors import BadInput


def pick_device() -> str:
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


def compute_dtype(device: str) -> Any:
    """bf16 on a GPU that supports it, else fp16 on GPU; fp32 on CPU (exact, and what CPU kernels expect)."""
    import torch

    if device == "cuda":
        return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    return torch.float32


def weights_dtype(method: str, device: str) -> Any:
    """Full and frozen-layer training keep fp32 master weights (AdamW on 16-bit weights loses updates)."""
    import torch

    if method in ("full", "freeze"):
        return torch.float32
    return compute_dtype(device)


def load_base(
    model_dir: Path, method: str, device: str, gradient_checkpointing: bool = False, for_training: bool = True
) -> Any:
    """The base causal LM: bitsandbytes NF4 with double quantization for qlora, float otherwise."""
    from transformers import AutoModelForCausalLM, BitsAndBytesConfig

    dtype = compute_dtype(device)
    kwargs: dict[str, Any] = {"dtype": weights_dtype(method, device)}
    if method == "qlora":
        kwargs["quantization_config"] = BitsAndBytesConfig(
            load_in_4bit=True,
            bnb_4bit_quant_type="nf4",
            bnb_4bit_use_double_quant=True,
            bnb_4bit_compute_dtype=dtype,
        )
        kwargs["device_map"] = {"": device}
    model = AutoModelForCausalLM.from_pretrained(str(model_dir), **kwargs)
    if method != "qlora":
        model.to(device)
    elif for_training:
        keep_4bit_weights_differentiable(model)
    model.config.use_cache = False
    if gradient_checkpointing:
        model.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})
        model.enable_input_require_grads()
    return model


def keep_4bit_weights_differentiable(model: Any) -> None:
    """bitsandbytes (0.50, CPUs with AVX512-BF16) repacks a 4-bit weight for an inference-only kernel the first
    time a Linear4bit runs in eval mode without grad (an evaluation); that kernel has no backward, so every
    later training step would silently lose the gradient through the frozen 4-bit matmuls. Training models
    keep the differentiable layout; evaluation-only loads (load_with_adapter) keep the fast kernel."""
    import bitsandbytes as bnb

    for mod in model.modules():
        if isinstance(mod, bnb.nn.Linear4bit):
            mod.support_avx512bf16_for_cpu = False


def add_lora(model: Any, cfg: TrainSection) -> Any:
    from peft import LoraConfig, get_peft_model, prepare_model_for_kbit_training

    if cfg.method == "qlora":
        # Casts norms to fp32 and enables input grads; checkpointing was decided in load_base.
        model = prepare_model_for_kbit_training(
            model, use_gradient_checkpointing=cfg.hparams.gradient_checkpointing,
            gradient_checkpointing_kwargs={"use_reentrant": False},
        )  # fmt: skip
    lcfg = LoraConfig(
        r=cfg.lora.r,
        lora_alpha=cfg.lora.alpha,
        lora_dropout=cfg.lora.dropout,
        target_modules=cfg.lora.targets,
        use_dora=cfg.lora.use_dora,
        use_rslora=cfg.lora.use_rslora,
        task_type="CAUSAL_LM",
    )
    return get_peft_model(model, lcfg)


def decoder_blocks(model: Any) -> Any:
    """The ModuleList of transformer blocks (model.model.layers for Llama-like models)."""
    import torch

    best = None
    for name, mod in model.named_modules():
        if isinstance(mod, torch.nn.ModuleList) and name.split(".")[-1] in ("layers", "h", "blocks", "layer"):
            if best is None or len(mod) > len(best):
                best = mod
    if best is None:
        raise BadInput(f"cannot find the transformer blocks of {type(model).__name__} to freeze")
    return best


def set_trainable(model: Any, cfg: TrainSection) -> Any:
    """Apply the method to a loaded base; returns the model to train (a PeftModel for LoRA methods)."""
    if cfg.method in PEFT_METHODS:
        return add_lora(model, cfg)
    for p in model.parameters():
        p.requires_grad_(cfg.method == "full")
    if cfg.method == "freeze":
        blocks = decoder_blocks(model)
        n = min(cfg.trainable_layers, len(blocks))
        for block in list(blocks)[-n:]:
            for p in block.parameters():
                p.requires_grad_(True)
        decoder = model.get_decoder()
        if getattr(decoder, "norm", None) is not None:
            for p in decoder.norm.parameters():
                p.requires_grad_(True)
        # With tied embeddings the head *is* the input embedding; it is trained either way.
        for p in model.get_output_embeddings().parameters():
            p.requires_grad_(True)
    return model


def causal_lm(model: Any) -> Any:
    """The underlying *ForCausalLM (LoRA layers are injected in place, so they stay in the graph)."""
    return model.get_base_model() if hasattr(model, "get_base_model") else model


def hidden_size(model: Any) -> int:
    return int(causal_lm(model).config.hidden_size)


def make_head(model: Any, n_labels: int, device: str) -> Any:
    import torch

    head = torch.nn.Linear(hidden_size(model), n_labels).to(device=device, dtype=torch.float32)
    torch.nn.init.zeros_(head.bias)
    return head


def load_with_adapter(model_dir: Path, adapter_dir: Path, method: str, device: str) -> Any:
    """Base as it was trained (4-bit for qlora) with the saved adapter, for evaluation."""
    from peft import PeftModel

    base = load_base(model_dir, method, device, for_training=False)
    model = PeftModel.from_pretrained(base, str(adapter_dir))
    model.eval()
    return model


def load_with_weights(model_dir: Path, weights_file: Path, method: str, device: str) -> Any:
    """Base with the tensors a full or frozen-layer run trained laid over it."""
    from safetensors.torch import load_file

    model = load_base(model_dir, method, device, for_training=False)
    trained = load_file(str(weights_file), device=device)
    missing = set(trained) - {n for n, _ in model.named_parameters()}
    if missing:
        raise BadInput(f"{weights_file} has tensors the base model lacks: {sorted(missing)[:3]}")
    model.load_state_dict(trained, strict=False)
    model.eval()
    return model
