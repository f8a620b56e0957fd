from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

# Before any heavy import: offline switches, no bitsandbytes hub kernels, tldextract snapshot.
from appliance.offline import enforce_offline

enforce_offline(guard_sockets=False)  # pytest-socket (see pyproject addopts) blocks sockets per test
os.environ.setdefault("APPLIANCE_OPERATOR", "pytest")
os.environ.setdefault("APPLIANCE_PASSPHRASE", "test-passphrase")

SAMPLES = Path(__file__).resolve().parents[1] / "appliance" / "samples"


@pytest.fixture(scope="session")
def sample_records() -> list[dict]:
    with open(SAMPLES / "clinical_notes.jsonl", encoding="utf-8") as f:
        return [json.loads(line) for line in f]


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory, sample_records) -> Path:
    from tests.tiny import make_tiny_llama

    corpus = [r["instruction"] + " " + r["response"] for r in sample_records]
    return make_tiny_llama(tmp_path_factory.mktemp("tiny") / "llama", corpus)


@pytest.fixture
def ws(tmp_path):
    from appliance.workspace import Workspace

    return Workspace.open(tmp_path / "ws")


def write_jsonl(path: Path, records: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path
