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
    use_dora: bool = Field(default=False, description="weight-decomposed LoRA (DoRA) through peft")
    use_rslora: bool = Field(default=False, description="rank-stabilised scaling alpha/sqrt(r) (rsLoRA)")


class HParams(_Strict):
    lr: float = Field(default=2e-4, gt=0)
    epochs: int = Field(default=1, ge=1)
    max_steps: int | None = Field(default=None, ge=1)
    batch_size: int = Field(default=4, ge=1, description="examples per micro-batch")
    grad_accum: int = Field(default=1, ge=1, description="micro-batches per optimizer step")
    seq_len: int = Field(default=512, ge=16)
    warmup_ratio: float = Field(default=0.1, ge=0.0, le=0.5)
    weight_decay: float = Field(default=0.0, ge=0.0)
    max_grad_norm: float = Field(default=1.0, gt=0)
    seed: int = 7
    packing: Literal["padding-free", "length-grouped", "none"] = Field(
        default="padding-free",
        description="padding-free: a micro-batch's examples share rows with a block-diagonal mask (no pad, "
        "no cross-example attention); length-grouped: similar lengths batched together, padded; none: padded",
    )
    gradient_checkpointing: bool = Field(default=False, description="recompute activations: less memory, slower")
    precision: Literal["auto", "fp32"] = Field(
        default="auto",
        description="auto: bf16 autocast on a GPU that supports it (fp32 master weights and optimizer state), "
        "fp32 elsewhere; fp32: no autocast",
    )
    optimizer: Literal["adamw", "paged-adamw"] = Field(
        default="adamw",
        description="adamw: torch AdamW (fused on a GPU); paged-adamw: bitsandbytes' paged AdamW, whose state "
        "pages to host memory under GPU memory pressure (CUDA only; slower per step)",
    )
    auto_batch_size: bool = Field(
        default=True, description="on a GPU out-of-memory, split micro-batches (same global batch) and go on"
    )
    eval_steps: int | None = Field(default=None, ge=1, description="validation loss every N steps (None: at end)")
    save_steps: int = Field(default=50, ge=0, description="checkpoint every N steps; 0: only on interrupt")
    keep_checkpoints: int = Field(default=2, ge=1)
    early_stopping_patience: int | None = Field(
        default=None, ge=1, description="stop after this many evaluations without a better validation loss"
    )


class MixtureEntry(_Strict):
    dataset: str = Field(description="workspace dataset id (scrubbed)")
    weight: float = Field(default=1.0, gt=0, description="sampling weight of this dataset in the mixture")
    task: str | None = Field(default=None, description="task tag (default: the dataset's format)")


class HpoConfig(_Strict):
    """Search over train settings; each trial is a run in the workspace, selected by validation loss."""

    strategy: Literal["grid", "random", "tpe"] = "random"
    trials: int = Field(default=4, ge=1, le=200, description="trials for random/tpe (grid: every point)")
    space: dict[str, list[float | int | str]] = Field(
        description="dotted train keys to the values to try, e.g. {'hparams.lr': [1e-4, 3e-4], 'lora.r': [8, 16]}"
    )
    pruning: bool = Field(default=True, description="stop a trial early when its validation loss is worse "
                          "than the median of earlier trials at the same step")  # fmt: skip
    seed: int = 7

    @model_validator(mode="after")
    def _known_keys(self) -> HpoConfig:
        allowed = {"hparams.lr", "hparams.epochs", "hparams.batch_size", "hparams.max_steps", "hparams.warmup_ratio",
                   "hparams.weight_decay", "lora.r", "lora.alpha", "lora.dropout", "trainable_layers"}  # fmt: skip
        for key, values in self.space.items():
            if key not in allowed:
                raise ValueError(f"hpo.space key {key!r} is not searchable; use one of {sorted(allowed)}")
            if not values:
                raise ValueError(f"hpo.space.{key} needs at least one value")
        return self


TrainMethod = Literal["qlora", "lora", "full", "freeze", "feature-extraction"]
TRAIN_METHODS = ("qlora", "lora", "full", "freeze", "feature-extraction")
PEFT_METHODS = ("qlora", "lora")


class TrainSection(_Strict):
    method: TrainMethod = "qlora"
    task: Literal["chat", "classification", "summarization", "multitask"] = Field(
        default="chat",
        description="chat: supervised fine-tuning on any instruction/chat/classification/summarization dataset; "
        "classification/summarization: the same plus task metrics; multitask: the `mixture` datasets",
    )
    head: Literal["lm", "sequence"] = Field(
        default="lm",
        description="classification: the label as the model's answer (lm) or a classification head on "
        "mean-pooled hidden states (sequence; always used by feature-extraction)",
    )
    system_prompt: str | None = Field(
        default=None, description="system message for every example; None keeps the model template's default"
    )
    lora: LoraConfig = Field(default_factory=LoraConfig)
    trainable_layers: int = Field(default=2, ge=1, description="freeze: train only the last N blocks and the head")
    hparams: HParams = Field(default_factory=HParams)
    mixture: list[MixtureEntry] = Field(default_factory=list, description="multitask: datasets and weights")
    hpo: HpoConfig | None = None

    @model_validator(mode="after")
    def _consistent(self) -> TrainSection:
        if self.method == "feature-extraction":
            if self.task != "classification":
                raise ValueError("method feature-extraction trains a classification head: set task: classification")
            self.head = "sequence"
        if self.head == "sequence" and self.task != "classification":
            raise ValueError("head: sequence is for task: classification")
        if self.task == "multitask" and not self.mixture:
            raise ValueError("task: multitask needs a mixture: list of {dataset, weight, task}")
        if self.mixture and self.task != "multitask":
            raise ValueError("mixture: is only read when task: multitask")
        return self


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
    identifier_base_control: bool = Field(
        default=True, description="scan the base model's generations from the same prompts too (the rate "
        "fine-tuning is judged against)")  # fmt: skip
    plant_canaries: int = Field(
        default=0, ge=0, le=16,
        description="`appliance run`/demo: plant each canary this many times in the raw JSONL data before "
        "scrubbing, so exposure measures what training memorised; 0 = measure without planting",
    )  # fmt: skip
    seed: int = 7
    gates: str | None = Field(
        default=None, description="policy (name or path) whose gates: decide; None = the run's scrub policy"
    )


class OnnxExport(_Strict):
    # fp32 and int4 run on CPU; fp16 is built for the CUDA execution provider (checked where a GPU is present).
    # int4 is opt-in: re-quantising a QLoRA model (trained around its NF4 grid) to uniform int4 can cost far
    # more perplexity than the parity gate allows (+20% on the demo run vs +1% for a full-precision merge).
    precision: list[Literal["fp32", "fp16", "int4"]] = Field(default_factory=lambda: ["fp32"], min_length=1)
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
