"""Policy packs: which identifiers to find, how sure to be, and what to replace them with.

A policy is a YAML file (see policies/hipaa.yaml, gdpr.yaml, pci.yaml) validated by `Policy`. `--policy NAME`
resolves `policies/NAME.yaml`; a path to a YAML file works too. The policy's sha256 goes into manifests and
audit records so every scrubbed dataset names the exact rules that made it.

A policy names
- the NLP pipeline (`nlp`: spaCy package, which components to run, batch size, processes),
- the entities to find with their score thresholds and operators (`entities`),
- the built-in recognizer packs to load (`builtin_recognizers`) and custom ones (`recognizers`: regex +
  context words + optional checksum validator, or deny-lists),
- allow-lists (spans that are never identifiers) and keep-phrases (clinically/commercially meaningful text that
  vetoes name/location/date findings inside it),
- record-level rules (`record_rules`: drop a record whose residual risk is above a bound).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from appliance.errors import BadInput
from appliance.workspace import sha256_file
from appliance.yamlio import load_yaml_model

OperatorType = Literal[
    "placeholder",  # <PERSON>
    "redact",  # removed
    "mask",  # ****1234
    "replace",  # a fixed value, e.g. "90+" for ages over 89
    "pseudonym",  # <PERSON_1f2e3d4c>: keyed HMAC of the normalized value (consistent per workspace)
    "surrogate",  # a fake value of the same kind, chosen by the keyed HMAC (consistent per workspace)
    "drop_record",  # the whole record is left out of the output (counted in the report)
    "keep",  # found and counted, left as is (e.g. ZIP3 handled by mask, or reporting-only entities)
]

VALIDATORS = ("luhn", "iban", "aba_routing", "vin", "npi", "ssn", "imei")

BUILTIN_PACKS = (
    "names",  # titles, labels, "Last, First", gazetteer, ALL CAPS/lower case
    "addresses",  # street addresses (US/UK/EU forms), PO boxes, postal codes
    "dates",  # dates in common forms (not bare years)
    "ages",  # ages over 89
    "phones",  # US and international phone numbers (phonenumbers-validated)
    "labelled_ids",  # MRN, account, health plan, licence, vehicle, device ids found by their labels
    "payment",  # card numbers (Luhn), CVV, expiry
    "presidio",  # Presidio's predefined e-mail, URL, IP, IBAN, SSN, credit-card recognizers
    "ner",  # spaCy NER (PERSON, LOCATION) with clinical/commercial precision filters
)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class NlpConfig(_Strict):
    engine: Literal["spacy"] = "spacy"
    model: str = Field(description="installed spaCy pipeline package name, or a path to one")
    # Components to run. NER needs only `ner` in the small English pipelines (it has its own tok2vec);
    # add tagger/attribute_ruler/lemmatizer when a recognizer needs lemmas (context words match lower case
    # token text otherwise).
    components: list[str] = Field(default_factory=lambda: ["ner"], min_length=1)
    batch_size: int = Field(default=64, ge=1, le=10_000)
    # Worker processes for large inputs: "auto" = min(cores, 4) when the input is big enough, else one.
    processes: int | Literal["auto"] = "auto"
    # Title-case runs of ALL CAPS words before NER (same offsets), so "JOHN SMITH" is seen as a name.
    normalize_case: bool = True

    @field_validator("processes")
    @classmethod
    def _positive(cls, v: int | str) -> int | str:
        if isinstance(v, int) and v < 1:
            raise ValueError("processes must be 'auto' or a positive integer")
        return v


class OperatorConfig(_Strict):
    type: OperatorType = "placeholder"
    masking_char: str = Field(default="*", min_length=1, max_length=1)
    keep_first: int = Field(default=0, ge=0, description="mask: leave this many leading characters")
    keep_last: int = Field(default=0, ge=0, description="mask: leave this many trailing characters")
    new_value: str | None = Field(default=None, description="replace: the replacement text")
    # placeholder for dates: keep the year ("<DATE_TIME 2023>"); HIPAA allows years.
    keep_year: bool = False
    # placeholder for dates: give back the time of day written with a date ("<DATE_TIME 2023> 14:05"); a date and
    # its time are one finding, and by default both go
    keep_time: bool = False
    # pseudonym length in hex characters of the HMAC
    digest_chars: int = Field(default=10, ge=6, le=64)

    @model_validator(mode="after")
    def _replace_needs_value(self) -> OperatorConfig:
        if self.type == "replace" and self.new_value is None:
            raise ValueError("operator 'replace' needs new_value")
        return self


class EntityRule(_Strict):
    threshold: float | None = Field(default=None, ge=0.0, le=1.0)
    operator: OperatorConfig | None = None


class PatternConfig(_Strict):
    name: str
    regex: str
    score: float = Field(ge=0.0, le=1.0)

    @field_validator("regex")
    @classmethod
    def _compiles(cls, v: str) -> str:
        import regex

        try:
            regex.compile(v)
        except regex.error as exc:
            raise ValueError(f"invalid regular expression: {exc}") from None
        return v


class RecognizerConfig(_Strict):
    """A custom recognizer: regex patterns and/or a deny-list, with context words and a checksum."""

    name: str
    entity: str
    patterns: list[PatternConfig] = Field(default_factory=list)
    deny_list: list[str] = Field(default_factory=list)
    deny_list_score: float = Field(default=0.9, ge=0.0, le=1.0)
    context: list[str] = Field(default_factory=list)
    validator: Literal["luhn", "iban", "aba_routing", "vin", "npi", "ssn", "imei"] | None = None

    @model_validator(mode="after")
    def _something_to_match(self) -> RecognizerConfig:
        if not self.patterns and not self.deny_list:
            raise ValueError("a recognizer needs patterns or a deny_list")
        return self


class RecordRules(_Strict):
    """Record-level rules, applied after span scrubbing."""

    # Residual risk of a field = 1 - prod(1 - score) over candidate findings that scored at least
    # `residual_floor` but stayed below their entity's threshold (so were not replaced). A record whose
    # highest field risk exceeds `max_residual_risk` is dropped. None disables the rule.
    max_residual_risk: float | None = Field(default=None, ge=0.0, le=1.0)
    residual_floor: float = Field(default=0.15, ge=0.0, le=1.0)
    # Drop (without scrubbing) a record with a text longer than this (characters) in a scrubbed field; None = no limit.
    max_field_chars: int | None = Field(default=None, ge=1)


class Gates(_Strict):
    """Release gates (appliance/evaluate/gates.py applies them; docs/evaluation.md lists the metric names).

    Metric names: loss, perplexity (lower is better); exact_match, token_f1, rouge1, rouge2, rougeL, accuracy,
    macro_f1 (higher is better). `min`/`max` bound the tuned model's value; `max_regression` bounds how much
    worse than `baseline` the tuned model may be, in the metric's own units (0 = no worse). A gate whose
    number was not measured fails (fail-closed)."""

    primary_metric: str = "perplexity"
    baseline: Literal["base", "base_few_shot"] = "base"
    min: dict[str, float] = Field(default_factory=dict)
    max: dict[str, float] = Field(default_factory=dict)
    max_regression: dict[str, float] = Field(default_factory=dict)
    max_canary_emissions: int | None = Field(default=0, ge=0)
    max_canary_exposure: float | None = Field(default=None, ge=0.0)
    max_identifiers_per_1k_tokens: float | None = Field(default=None, ge=0.0)
    max_verbatim_chars: int | None = Field(default=None, ge=1)


class Policy(_Strict):
    name: str
    version: str
    description: str = ""
    # deidentify: identifiers are removed (placeholders/redaction); pseudonymize: identifiers are replaced by
    # keyed pseudonyms: the output is STILL PERSONAL DATA under GDPR (Art. 4(5)) because the workspace key
    # re-links it.
    mode: Literal["deidentify", "pseudonymize"] = "deidentify"
    language: str = "en"
    nlp: NlpConfig
    fields: list[str] = Field(default_factory=lambda: ["text"], min_length=1)
    default_threshold: float = Field(default=0.5, ge=0.0, le=1.0)
    default_operator: OperatorConfig = Field(default_factory=OperatorConfig)
    entities: dict[str, EntityRule] = Field(min_length=1)
    builtin_recognizers: list[
        Literal["names", "addresses", "dates", "ages", "phones", "labelled_ids", "payment", "presidio", "ner"]
    ] = Field(default_factory=lambda: list(BUILTIN_PACKS))
    recognizers: list[RecognizerConfig] = Field(default_factory=list)
    # Regular expressions (full match, case-insensitive) for detected spans that are not identifiers.
    allow_list: list[str] = Field(default_factory=list)
    # Built-in keep-phrase packs (clinical, financial, software) plus policy regexes: name/location/date/id
    # findings that lie inside a keep-phrase are dropped (e.g. "Parkinson's disease", "metformin 500 mg").
    keep_phrase_packs: list[Literal["clinical", "financial", "software"]] = Field(
        default_factory=lambda: ["clinical", "financial", "software"]
    )
    keep_phrases: list[str] = Field(default_factory=list)
    record_rules: RecordRules = Field(default_factory=RecordRules)
    # Release gates for `appliance evaluate`; a policy without them cannot pass a run (export needs an override).
    gates: Gates | None = None

    @field_validator("allow_list", "keep_phrases")
    @classmethod
    def _regexes_compile(cls, v: list[str]) -> list[str]:
        import regex

        for i, p in enumerate(v):
            try:
                regex.compile(p)
            except regex.error as exc:
                raise ValueError(f"item {i}: invalid regular expression: {exc}") from None
        return v

    @field_validator("recognizers")
    @classmethod
    def _recognizers_name_listed_entities(cls, v: list[RecognizerConfig], info: ValidationInfo) -> list:
        entities = info.data.get("entities") or {}
        for rc in v:
            if entities and rc.entity not in entities:
                raise ValueError(
                    f"recognizer {rc.name!r} finds {rc.entity!r}, which is not under entities: add it there "
                    "(with its threshold and operator)"
                )
        return v

    def threshold(self, entity: str) -> float:
        rule = self.entities.get(entity)
        return rule.threshold if rule and rule.threshold is not None else self.default_threshold

    def operator(self, entity: str) -> OperatorConfig:
        rule = self.entities.get(entity)
        return rule.operator if rule and rule.operator else self.default_operator


class LoadedPolicy(BaseModel):
    policy: Policy
    path: Path
    sha256: str


def policy_dirs() -> list[Path]:
    """Where `--policy NAME` looks: APPLIANCE_POLICY_DIR, ./policies, then the repository's policies/."""
    dirs = []
    if env := os.environ.get("APPLIANCE_POLICY_DIR"):
        dirs.append(Path(env))
    dirs.append(Path.cwd() / "policies")
    dirs.append(Path(__file__).resolve().parents[2] / "policies")
    return dirs


def available_policies() -> list[str]:
    names = set()
    for d in policy_dirs():
        if d.is_dir():
            names.update(p.stem for p in d.glob("*.yaml"))
    return sorted(names)


def resolve_policy(name_or_path: str) -> Path:
    candidate = Path(name_or_path)
    if candidate.suffix in (".yaml", ".yml") or os.sep in name_or_path:
        if not candidate.is_file():
            raise BadInput(f"policy file not found: {candidate}")
        return candidate
    for d in policy_dirs():
        p = d / f"{name_or_path}.yaml"
        if p.is_file():
            return p
    known = ", ".join(available_policies()) or "none found"
    raise BadInput(
        f"unknown policy {name_or_path!r}: available policies are {known} (or give a path to a YAML file)"
    )


def load_policy(name_or_path: str) -> LoadedPolicy:
    path = resolve_policy(name_or_path)
    policy = load_yaml_model(path, Policy, "policy")
    return LoadedPolicy(policy=policy, path=path.resolve(), sha256=sha256_file(path))
