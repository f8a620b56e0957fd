"""One pipeline config (ARCHITECTURE.md §4b): every stage reads its own section of one YAML file."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from appliance.yamlio import load_yaml_model


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


DATA_FORMATS = ("instruction", "chat", "classification", "summarization", "preference", "ranking", "feedback")
DataFormat = Literal[
    "instruction", "chat", "classification", "summarization", "preference", "ranking", "feedback"
]


class SplitConfig(_Strict):
    validation: float = Field(default=0.1, ge=0.0, lt=1.0)
    test: float = Field(default=0.0, ge=0.0, lt=1.0)
    seed: int = 7
    stratify: bool | None = Field(
        default=None, description="stratify by label; None = yes for classification and feedback, else no"
    )

    @model_validator(mode="after")
    def _leaves_training(self) -> SplitConfig:
        if self.validation + self.test >= 1.0:
            raise ValueError("validation + test must leave some records for training (sum < 1)")
        return self


class FieldsConfig(_Strict):
    """Source column for each canonical field. Only the fields of the chosen format are read; a field left
    at its default whose column is absent is inferred from common synonyms (see docs/data.md)."""

    prompt: str = "prompt"
    response: str = "response"
    system: str | None = None
    id: str = "id"
    messages: str = "messages"
    text: str = "text"
    label: str = "label"
    document: str = "document"
    summary: str = "summary"
    chosen: str = "chosen"
    rejected: str = "rejected"
    responses: str | list[str] = Field(
        default="responses", description="one list column (best first), or several columns in rank order"
    )


class InputConfig(_Strict):
    type: Literal["auto", "jsonl", "csv", "parquet"] = "auto"
    encoding: str | None = Field(default=None, description="CSV encoding; None = sniff")
    delimiter: str | None = Field(default=None, min_length=1, max_length=1, description="None = sniff")
    max_record_bytes: int = Field(default=4 * 1024 * 1024, ge=1024, description="longer rows are invalid")


class CleanConfig(_Strict):
    enabled: bool = True
    unicode_nfc: bool = True
    control_chars: bool = True
    zero_width: bool = True
    html: bool = True
    whitespace: bool = True
    tokenizer: str | None = Field(
        default=None, description="HF model/tokenizer folder for token counts; None = whitespace tokens"
    )
    max_tokens: int | None = Field(default=None, ge=1)
    min_tokens: int = Field(default=1, ge=0)
    too_long: Literal["drop", "truncate"] = "drop"


MissingAction = Literal["drop", "fail"]


class FillValue(_Strict):
    fill: str


class DedupeConfig(_Strict):
    exact: bool = True
    near: float | None = Field(default=0.85, gt=0.0, le=1.0, description="Jaccard threshold; None = off")
    shingle: int = Field(default=5, ge=1, le=20, description="word n-gram size of the shingles")
    num_perm: int = Field(default=64, ge=16, le=512)
    fields: list[str] | None = Field(default=None, description="canonical fields compared; None = all text")


class AugmentConfig(_Strict):
    entity_swap: int = Field(
        default=0, ge=0, le=10, description="extra copies per train record, placeholders swapped for fakes"
    )
    keep_placeholders: bool = Field(
        default=False, description="keep the placeholder version of a record next to its swapped variants"
    )
    templates: bool = Field(default=False, description="vary the prompt wording of the extra copies")
    seed: int = 7


class DataSection(_Strict):
    source: str
    format: DataFormat = "instruction"
    fields: FieldsConfig = Field(default_factory=FieldsConfig)
    input: InputConfig = Field(default_factory=InputConfig)
    invalid: Literal["fail", "drop"] = Field(
        default="fail", description="malformed rows (bad JSON/UTF-8, wrong types, too long): fail, or drop"
    )
    clean: CleanConfig = Field(default_factory=CleanConfig)
    missing: dict[str, MissingAction | FillValue] = Field(
        default_factory=dict,
        description="per canonical field (or 'default'): drop the record, fail, or {fill: value}",
    )
    dedupe: DedupeConfig = Field(default_factory=DedupeConfig)
    split: SplitConfig = Field(default_factory=SplitConfig)
    augment: AugmentConfig = Field(default_factory=AugmentConfig)
    max_labels: int = Field(default=100, ge=2, description="more distinct labels than this is an error")


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
    """docs/evaluation.md. Sizes default small enough for CPU; raise them on a GPU."""

    max_records: int | None = Field(default=64, ge=1, description="validation records for loss/perplexity")
    batch_size: int = Field(default=8, ge=1)
    baselines: list[Literal["zero-shot", "few-shot"]] = Field(default_factory=lambda: ["zero-shot", "few-shot"])
    few_shot_k: int = Field(default=2, ge=1, le=16, description="training examples in the few-shot prompt")
    compare_records: int = Field(
        default=8, ge=0, description="validation records every system generates for (EM, token F1, ROUGE); 0 = off"
    )
    max_new_tokens: int = Field(default=32, ge=1, le=1024)
    fewshot_seq_len: int = Field(default=1024, ge=64, description="token budget of a few-shot prompt + answer")
    leakage_generations: int = Field(
        default=8, ge=0, description="sampled generations from training prompts scanned for identifiers; 0 = off"
    )
    temperature: float = Field(default=0.8, gt=0.0, le=2.0)
    canaries: int = Field(default=4, ge=0, le=100, description="synthetic canaries measured for exposure; 0 = off")
    canary_template: Literal["access_code", "mrn"] = "access_code"
    canary_candidates: int = Field(default=31, ge=3, description="random secrets each canary is ranked against")
    canary_base_control: bool = Field(default=False, description="also measure the canaries on the base model")
    seed: int = 7
    gates: str | None = Field(
        default=None, description="policy (name or path) whose gates: decide; None = the run's scrub policy"
    )


class OnnxExport(_Strict):
    # fp32 and int4 run on CPU; fp16 is built for the CUDA execution provider (checked where a GPU is present).
    precision: list[Literal["fp32", "fp16", "int4"]] = Field(
        default_factory=lambda: ["fp32", "int4"], min_length=1
    )
    parity_prompts: int = Field(default=3, ge=1)
    greedy_new_tokens: int = Field(default=32, ge=1)
    ppl_records: int = Field(default=8, ge=1)


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
