"""GPU checks (ARCHITECTURE.md §7): QLoRA on CUDA and the fp16 ONNX export on the CUDA execution provider.

Prints one JSON object and a short table. Needs a CUDA host; finishes in a few minutes on one modern GPU.
  python bench/gpu_check.py [--big-layers 24] [--steps 20]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("APPLIANCE_PASSPHRASE", "gpu-check")

from appliance.offline import enforce_offline  # noqa: E402

enforce_offline()


def qlora_steps(model_dir: Path, steps: int, batch: int, seq: int) -> dict:
    """The appliance engine (padding-free packing, answer-only logits, paged AdamW) on variable-length
    synthetic examples: tokens/s counts real tokens only."""
    import random

    import torch

    from appliance.config import TrainSection
    from appliance.events import NullSink, StageProgress
    from appliance.train.batching import TrainExample
    from appliance.train.engine import fit
    from appliance.train.run import build_model

    cfg = TrainSection.model_validate(
        {
            "method": "qlora",
            "hparams": {
                "lr": 1e-4,
                "max_steps": steps + 2,
                "batch_size": batch,
                "seq_len": seq,
                "warmup_ratio": 0.0,
                "save_steps": 0,
            },
        }
    )
    torch.cuda.reset_peak_memory_stats()
    model, _head, objective = build_model(model_dir, cfg, "cuda", None)
    vocab = objective.model.get_base_model().config.vocab_size
    rng = random.Random(0)
    exs = []
    for i in range(batch * (steps + 2)):
        n = rng.randint(seq // 4, seq)
        ids = [rng.randint(10, vocab - 1) for _ in range(n)]
        cut = n // 2
        exs.append(TrainExample(str(i), ids, [-100] * cut + ids[cut:]))
    marks: list[tuple[float, int]] = []

    def on_step(rec: dict) -> None:
        torch.cuda.synchronize()
        marks.append((time.perf_counter(), rec["tokens"]))

    res = fit(objective, exs, cfg.hparams, kind="lm", pad_id=0, device="cuda",
              progress=StageProgress(NullSink(), "train", None), on_step=on_step, paged_optimizer=True)  # fmt: skip
    # After two warm-up steps (kernel selection, allocator growth).
    real = marks[-1][1] - marks[1][1]
    dt = marks[-1][0] - marks[1][0]
    losses = [h["loss"] for h in res.history]
    return {"tokens_per_s": round(real / dt, 1), "peak_gpu_mem_gib": round(torch.cuda.max_memory_allocated() / 2**30, 2),
            "loss_first": losses[0], "loss_last": losses[-1], "params": sum(p.numel() for p in objective.parameters())}  # fmt: skip


def big_llama(out: Path, layers: int) -> Path:
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    cfg = LlamaConfig(vocab_size=32000, hidden_size=2560, intermediate_size=6912, num_hidden_layers=layers,
                      num_attention_heads=20, num_key_value_heads=4, max_position_embeddings=4096)  # fmt: skip
    with torch.device("cuda"):
        model = LlamaForCausalLM(cfg).to(torch.bfloat16)
    model.save_pretrained(out, safe_serialization=True)
    del model
    torch.cuda.empty_cache()
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--big-layers", type=int, default=24)
    args = ap.parse_args()
    import torch

    if not torch.cuda.is_available():
        raise SystemExit("no CUDA device visible to torch: run this on the GPU host")
    from appliance.config import OnnxExport
    from appliance.models import default_model
    from appliance.workspace import Workspace

    result: dict = {
        "gpu": torch.cuda.get_device_name(0),
        "torch": torch.__version__,
        "cuda": torch.version.cuda,
    }
    tmp = Path(tempfile.mkdtemp(prefix="gpu-check-"))
    ws = Workspace.open(tmp / "ws")
    smol = default_model(ws)
    result["qlora_smollm2_135m"] = qlora_steps(smol.path, args.steps, batch=8, seq=512)
    big = big_llama(tmp / "big", args.big_layers)
    result["qlora_llama_random"] = qlora_steps(big, max(args.steps // 2, 5), batch=4, seq=1024)

    # fp16 export of a short real run on the demo data, checked on the CUDA execution provider.
    from appliance.config import load_pipeline_config
    from appliance.data import prepare_dataset
    from appliance.export import export_onnx
    from appliance.pipeline import demo_config_path
    from appliance.scrub import scrub_dataset
    from appliance.train import train

    cfg, base_dir = load_pipeline_config(demo_config_path())
    ds = scrub_dataset(ws, prepare_dataset(ws, cfg.data, base_dir), cfg.scrub.policy)
    cfg.train.hparams.max_steps = 10
    run = train(ws, ds, smol, cfg.train)
    t = time.perf_counter()
    exp = export_onnx(ws, run, OnnxExport(precision=["fp16", "int4"]))
    result["export_seconds"] = round(time.perf_counter() - t, 1)
    result["fp16_parity"] = exp.manifest["summary"]["parity"]["fp16"]
    from transformers import AutoTokenizer

    from appliance.serve import OnnxDecoder
    from bench.serve import onnx_decode_tps

    tok = AutoTokenizer.from_pretrained(str(smol.path))
    ids = [tok("The patient was seen for follow-up of hypertension.", add_special_tokens=False)["input_ids"]]
    dec = OnnxDecoder(exp.path / "fp16")
    result["fp16_decode"] = {
        "provider": dec.provider,
        "tokens_per_s": round(onnx_decode_tps(dec, ids, 64), 1),
    }
    print(json.dumps(result, indent=2))
    print(f"\n{'check':<28}{'value'}")
    for k in ("qlora_smollm2_135m", "qlora_llama_random"):
        r = result[k]
        print(
            f"{k:<28}{r['tokens_per_s']} tok/s, peak {r['peak_gpu_mem_gib']} GiB, loss {r['loss_first']}→{r['loss_last']}"
        )
    p = result["fp16_parity"]
    print(
        f"{'fp16 export parity':<28}passed={p.get('passed')} ppl {p.get('ppl_delta', 0):+.2%} on {p.get('provider')}"
    )
    print(
        f"{'fp16 decode':<28}{result['fp16_decode']['tokens_per_s']} tok/s on {result['fp16_decode']['provider']}"
    )


if __name__ == "__main__":
    main()
