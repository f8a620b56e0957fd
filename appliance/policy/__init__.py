"""Policy packs: which identifiers to find, how sure to be, and what to replace them with.

A policy is a YAML file (see policies/hipaa.yaml) validated by `Policy`. `--policy NAME` resolves
`policies/NAME.yaml`; a path to a YAML file works too. The policy's sha256 goes into manifests and audit
records so every scrubbed dataset names the exact rules that made it.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from appliance.errors import BadInput
from appliance.workspace import sha256_file
from appliance.yamlio import load_yaml_model

OperatorType = Literal["placeholder", "redact", "mask"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class NlpConfig(_Strict):
    engine: Literal["spacy"] = "spacy"
    model: str = Field(description="installed spaCy pipeline package name, or a path to one")


class OperatorConfig(_Strict):
    type: OperatorType = "placeholder"
    masking_char: str = "*"


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
        import re

        try:
            re.compile(v)
        except re.error as exc:
            raise ValueError(f"invalid regular expression: {exc}") from None
        return v


class RecognizerConfig(_Strict):
    name: str
    entity: str
    patterns: list[PatternConfig] = Field(min_length=1)
    context: list[str] = Field(default_factory=list)


class Policy(_Strict):
    name: str
    version: str
    description: str = ""
    language: str = "en"
    nlp: NlpConfig
    fields: list[str] = Field(default_factory=lambda: ["text"], min_length=1)
    default_threshold: float = Field(default=0.5, ge=0.0, le=1.0)
    default_operator: OperatorConfig = Field(default_factory=OperatorConfig)
    entities: dict[str, EntityRule] = Field(min_length=1)
    recognizers: list[RecognizerConfig] = Field(default_factory=list)
    # Regular expressions (full match) for detected spans that are not identifiers, e.g. durations.
    allow_list: list[str] = Field(default_factory=list)

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
