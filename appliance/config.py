"""One pipeline config (ARCHITECTURE.md §4b): every stage reads its own section of one YAML file."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from appliance.yamlio import load_yaml_model


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SplitConfig(_Strict):
    validation: float = Field(default=0.1, ge=0.0, lt=1.0)
    test: float = Field(default=0.0, ge=0.0, lt=1.0)
    seed: int = 7

    @model_validator(mode="after")
    def _leaves_training(self) -> SplitConfig:
        if self.validation + self.test >= 1.0:
            raise ValueError("validation + test must leave some records for training (sum < 1)")
        return self


class FieldsConfig(_Strict):
    prompt: str = "prompt"
    response: str = "response"
    system: str | None = None
    id: str = "id"


class DataSection(_Strict):
    source: str
    format: Literal["instruction"] = "instruction"
    fields: FieldsConfig = Field(default_factory=FieldsConfig)
    split: SplitConfig = Field(default_factory=SplitConfig)


class ScrubSection(_Strict):
    policy: str = "hipaa"


class ModelSection(_Strict):
    base: str = "default"


class LoraConfig(_Strict):
    r: int = Field(default=16, ge=1)
    alpha: int = Field(default=32, ge=1)
    dropout: float = Field(default=0.05, ge=0.0, lt=1.0)
    targets: str | list[str] = "all-linear"


class HParams(_Strict):
    lr: float = Field(default=2e-4, gt=0)
    epochs: int = Field(default=1, ge=1)
    max_steps: int | None = Field(default=None, ge=1)
    batch_size: int = Field(default=4, ge=1)
    grad_accum: int = Field(default=1, ge=1)
    seq_len: int = Field(default=512, ge=16)
    warmup_ratio: float = Field(default=0.1, ge=0.0, le=0.5)
    weight_decay: float = Field(default=0.0, ge=0.0)
    max_grad_norm: float = Field(default=1.0, gt=0)
    seed: int = 7


class TrainSection(_Strict):
    method: Literal["qlora", "lora"] = "qlora"
    task: Literal["chat"] = "chat"
    system_prompt: str | None = Field(
        default=None, description="system message for every example; None keeps the model template's default"
    )
    lora: LoraConfig = Field(default_factory=LoraConfig)
    hparams: HParams = Field(default_factory=HParams)


class EvaluateSection(_Strict):
    max_records: int | None = Field(default=64, ge=1)
    batch_size: int = Field(default=8, ge=1)


class OnnxExport(_Strict):
    precision: list[Literal["fp32"]] = Field(default_factory=lambda: ["fp32"])
    parity_prompts: int = Field(default=4, ge=1)
    parity_tolerance: float = Field(default=1e-3, gt=0)


class ExportSection(_Strict):
    onnx: OnnxExport = Field(default_factory=OnnxExport)


class PipelineConfig(_Strict):
    data: DataSection
    scrub: ScrubSection = Field(default_factory=ScrubSection)
    model: ModelSection = Field(default_factory=ModelSection)
    train: TrainSection = Field(default_factory=TrainSection)
    evaluate: EvaluateSection = Field(default_factory=EvaluateSection)
    export: ExportSection = Field(default_factory=ExportSection)


def load_pipeline_config(path: Path) -> tuple[PipelineConfig, Path]:
    """Load and validate; returns the config and the folder that relative paths in it are resolved against."""
    cfg = load_yaml_model(path, PipelineConfig, "pipeline config")
    return cfg, path.resolve().parent
