"""A Triton Inference Server model repository entry (ONNX Runtime backend) for one exported variant."""

from __future__ import annotations

import os
from pathlib import Path

ONNX_TO_TRITON = {
    1: "TYPE_FP32",
    10: "TYPE_FP16",
    7: "TYPE_INT64",
    6: "TYPE_INT32",
    16: "TYPE_BF16",
    9: "TYPE_BOOL",
}


def _io_specs(model_path: Path) -> tuple[list[tuple[str, str, list[int]]], list[tuple[str, str, list[int]]]]:
    """(name, Triton type, dims without the batch dimension) of the graph's real inputs and outputs."""
    import onnx

    graph = onnx.load(str(model_path), load_external_data=False).graph

    def spec(values):  # noqa: ANN001, ANN202
        out = []
        for v in values:
            t = v.type.tensor_type
            dims = [d.dim_value if d.HasField("dim_value") else -1 for d in t.shape.dim][1:]
            out.append((v.name, ONNX_TO_TRITON[t.elem_type], dims))
        return out

    return spec(graph.input), spec(graph.output)


def write_triton_entry(repo: Path, name: str, variant_dir: Path, gpu: bool, max_batch_size: int = 8) -> Path:
    """`repo/<name>/config.pbtxt` and `repo/<name>/1/` holding the variant's ONNX files (hard links)."""
    inputs, outputs = _io_specs(variant_dir / "model.onnx")
    version = repo / name / "1"
    version.mkdir(parents=True, exist_ok=True)
    for f in ("model.onnx", "model.onnx.data"):
        if (variant_dir / f).exists():
            try:
                os.link(variant_dir / f, version / f)  # same bytes, no second copy on disk
            except OSError:
                import shutil

                shutil.copy2(variant_dir / f, version / f)

    def block(kind: str, items: list[tuple[str, str, list[int]]]) -> str:
        body = ",\n".join(
            f'  {{\n    name: "{n}"\n    data_type: {t}\n    dims: [ {", ".join(str(d) for d in dims)} ]\n  }}'
            for n, t, dims in items
        )
        return f"{kind} [\n{body}\n]\n"

    text = (
        f'name: "{name}"\nbackend: "onnxruntime"\nmax_batch_size: {max_batch_size}\n'
        + block("input", inputs)
        + block("output", outputs)
        + f"instance_group [\n  {{\n    count: 1\n    kind: {'KIND_GPU' if gpu else 'KIND_CPU'}\n  }}\n]\n"
        + "dynamic_batching {\n  max_queue_delay_microseconds: 1000\n}\n"
    )
    (repo / name / "config.pbtxt").write_text(text)
    return repo / name / "config.pbtxt"
