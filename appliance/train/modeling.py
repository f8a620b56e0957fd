"""Load a workspace model for fine-tuning: 4-bit NF4 (QLoRA) or full precision (LoRA), with peft adapters."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from appliance.config import TrainSection


def pick_device() -> str:
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


def compute_dtype(device: str) -> Any:
    """bf16 on a GPU that supports it, else fp16 on GPU; fp32 on CPU (exact, and what CPU kernels expect)."""
    import torch

    if device == "cuda":
        return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    return torch.float32


def load_base(model_dir: Path, method: str, device: str) -> Any:
    """The frozen base: bitsandbytes NF4 with double quantization for qlora, float for lora."""
    import torch
    from transformers import AutoModelForCausalLM, BitsAndBytesConfig

    dtype = compute_dtype(device)
    kwargs: dict[str, Any] = {"dtype": dtype if device == "cuda" else torch.float32}
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
    model.config.use_cache = False
    return model


def add_lora(model: Any, cfg: TrainSection) -> Any:
    from peft import LoraConfig, get_peft_model, prepare_model_for_kbit_training

    if cfg.method == "qlora":
        # Casts norms to fp32 and enables input grads; no gradient checkpointing at this size.
        model = prepare_model_for_kbit_training(model, use_gradient_checkpointing=False)
    lcfg = LoraConfig(
        r=cfg.lora.r,
        lora_alpha=cfg.lora.alpha,
        lora_dropout=cfg.lora.dropout,
        target_modules=cfg.lora.targets,
        task_type="CAUSAL_LM",
    )
    return get_peft_model(model, lcfg)


def load_with_adapter(model_dir: Path, adapter_dir: Path, method: str, device: str) -> Any:
    """Base as it was trained (4-bit for qlora) with the saved adapter, for evaluation."""
    from peft import PeftModel

    base = load_base(model_dir, method, device)
    model = PeftModel.from_pretrained(base, str(adapter_dir))
    model.eval()
    return model
