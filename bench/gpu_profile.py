"""GPU memory and speed profile of the training engine: calibrates the memory planner and finds the overheads.

Prints one JSON line per measurement, then a table. Needs a CUDA host (or --rehearse: a tiny CPU dry run).
  python bench/gpu_profile.py --model-dir DIR [--random-weights] [--big-layers 24]

For each (model, batch, seq_len, gradient checkpointing): measured peak GPU memory vs `train.memory.plan`, the
memory still allocated after the run is released (a leak would break HPO trials in one process), real
tokens/s; then a torch.profiler table of one configuration's steps (top operators by self CUDA and CPU time).
"""

from __future__ import annotations

import argparse
import gc
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import bench.gpu_check as gc_mod  # noqa: E402  (also enforces offline mode)


def allocated_gib() -> float:
    import torch

    return torch.cuda.memory_allocated() / 2**30 if gc_mod.DEVICE == "cuda" else 0.0


def measure(model_dir: Path, steps: int, batch: int, seq: int, ckpt: bool, profile: int = 0,
            precision: str = "auto", paged: bool = False, sdpa: str = "default") -> dict:  # fmt: skip

    from appliance.events import NullSink, StageProgress
    from appliance.train.engine import fit
    from appliance.train.memory import plan
    from appliance.train.run import build_model

    cfg = gc_mod.train_cfg(steps, batch, seq)
    cfg.hparams.gradient_checkpointing = ckpt
    cfg.hparams.precision = precision
    p = plan(model_dir, cfg, gc_mod.DEVICE, available=1e9)
    gc.collect()
    gc_mod.reset_peak()
    before = allocated_gib()
    model, _head, objective = build_model(model_dir, cfg, gc_mod.DEVICE, None)
    weights = allocated_gib() - before
    attn = getattr(objective.model.get_base_model().config, "_attn_implementation", None)
    vocab = objective.model.get_base_model().config.vocab_size
    exs = gc_mod.synthetic_examples(vocab, batch * (steps + 2), seq)
    marks: list[tuple[float, int]] = []

    def on_step(rec: dict) -> None:
        gc_mod.sync()
        marks.append((time.perf_counter(), rec["tokens"]))

    prof = None
    if profile:
        from torch.profiler import ProfilerActivity
        from torch.profiler import profile as tprofile

        acts = [ProfilerActivity.CPU] + ([ProfilerActivity.CUDA] if gc_mod.DEVICE == "cuda" else [])
        prof = tprofile(activities=acts)
        inner = on_step

        def on_step(rec: dict) -> None:  # noqa: F811 - starts the profiler after two warm-up steps
            inner(rec)
            if len(marks) == 2:
                prof.start()

    import contextlib

    from torch.nn.attention import SDPBackend, sdpa_kernel

    # "efficient": no cuDNN attention (it builds an execution plan per new shape)
    backends = sdpa_kernel([SDPBackend.FLASH_ATTENTION, SDPBackend.EFFICIENT_ATTENTION, SDPBackend.MATH]) \
        if sdpa == "efficient" else contextlib.nullcontext()  # fmt: skip
    with backends:
        fit(objective, exs, cfg.hparams, kind="lm", pad_id=0, device=gc_mod.DEVICE,
            progress=StageProgress(NullSink(), "train", None), on_step=on_step, paged_optimizer=paged)  # fmt: skip
    tables = {}
    if prof is not None:
        prof.stop()
        ka = prof.key_averages()
        tables["cpu"] = ka.table(sort_by="self_cpu_time_total", row_limit=profile)
        if gc_mod.DEVICE == "cuda":
            tables["cuda"] = ka.table(sort_by="self_cuda_time_total", row_limit=profile)
    peak = gc_mod.peak_gib() - before
    del model, objective, _head
    gc.collect()
    gc_mod.reset_peak()
    leaked = allocated_gib() - before
    real = marks[-1][1] - marks[1][1]
    dt = marks[-1][0] - marks[1][0]
    out = {"batch": batch, "seq": seq, "ckpt": ckpt, "precision": precision, "paged": paged, "sdpa": sdpa, "attn": attn, "weights_gib": round(weights, 3),
           "peak_gib": round(peak, 3), "plan_gib": round(p.total_mb / 1024, 3),
           "plan_weights_gib": round(p.weights_mb / 1024, 3), "plan_act_gib": round(p.activations_mb / 1024, 3),
           "plan_logits_gib": round(p.logits_mb / 1024, 3), "plan_over_peak": round(p.total_mb / 1024 / peak, 2),
           "leaked_gib": round(leaked, 3), "tokens_per_s": round(real / dt, 1),
           "step_s": round(dt / max(len(marks) - 2, 1), 4)}  # fmt: skip
    for k, t in tables.items():
        print(f"--- profile ({k}) batch {batch} seq {seq}\n{t}", flush=True)
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--model-dir", type=Path, required=False)
    ap.add_argument("--random-weights", action="store_true")
    ap.add_argument("--big-layers", type=int, default=24)
    ap.add_argument("--quick", action="store_true", help="the speed rows only (precision, attention backend)")
    ap.add_argument("--rehearse", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="gpu-profile-"))
    if args.rehearse:
        gc_mod.DEVICE = "cpu"
        smol = gc_mod.random_model(gc_mod.tiny_dir(tmp), tmp / "smol")
        big = smol
        grid = [
            (smol, "tiny", 4, 64, False),
            (smol, "tiny", 4, 64, True),
            (smol, "tiny", 4, 64, False, {"paged": True}),
            (smol, "tiny", 4, 64, False, {"sdpa": "efficient"}),
        ]
        prof_cfg = (smol, 4, 64)
    else:
        smol = gc_mod.random_model(args.model_dir, tmp / "smol") if args.random_weights else args.model_dir
        big = gc_mod.big_llama(tmp / "big", args.big_layers)
        grid = [(smol, "smollm2", 8, 512, False), (smol, "smollm2", 8, 512, False, {"precision": "fp32"}),
                (smol, "smollm2", 8, 512, False, {"paged": True}), (big, "llama-2.3b", 4, 1024, False, {"precision": "fp32"}),
                (smol, "smollm2", 8, 512, True), (smol, "smollm2", 32, 512, False),
                (smol, "smollm2", 8, 2048, False), (smol, "smollm2", 16, 1024, True),
                (big, "llama-2.3b", 4, 1024, False), (big, "llama-2.3b", 4, 1024, True),
                (big, "llama-2.3b", 8, 2048, True), (big, "llama-2.3b", 16, 1024, False)]  # fmt: skip
        prof_cfg = (smol, 8, 512)
        if args.quick:
            eff = {"sdpa": "efficient"}
            grid = [(smol, "warm-up", 8, 512, False), (smol, "smollm2", 8, 512, False), (smol, "smollm2", 8, 512, False, eff),
                    (smol, "smollm2", 8, 512, False, {"precision": "fp32"}), (big, "llama-2.3b", 4, 1024, False),
                    (big, "llama-2.3b", 4, 1024, False, eff), (big, "llama-2.3b", 4, 1024, False, {"precision": "fp32"}),
                    (big, "llama-2.3b", 16, 1024, False), (big, "llama-2.3b", 16, 1024, False, eff)]  # fmt: skip
    rows = []
    for model_dir, name, batch, seq, ckpt, *opts in grid:
        try:
            r = {"model": name} | measure(model_dir, 6, batch, seq, ckpt, **(opts[0] if opts else {}))
        except Exception as exc:  # noqa: BLE001 - one failure must not hide the rest
            r = {
                "model": name,
                "batch": batch,
                "seq": seq,
                "ckpt": ckpt,
                "error": f"{type(exc).__name__}: {exc}"[:400],
            }
        rows.append(r)
        print(json.dumps(r), flush=True)
    if args.quick and not args.rehearse:
        for name, d, b, sq in (("smollm2", smol, 8, 512), ("llama-2.3b", big, 4, 1024), ("llama-2.3b", big, 16, 1024)):
            nv = gc_mod.naive_steps(d, 6, b, sq)
            print(json.dumps({"naive": name, "batch": b, "seq": sq} | nv), flush=True)
    else:
        try:
            measure(prof_cfg[0], 3, prof_cfg[1], prof_cfg[2], False, profile=25)
        except Exception as exc:  # noqa: BLE001
            print(f"profile failed: {type(exc).__name__}: {exc}", flush=True)
    print(
        f"\n{'model':<12}{'batch':>6}{'seq':>6}{'ckpt':>6}{'prec':>6}{'paged':>6}{'sdpa':>10}{'peak':>8}{'plan':>8}{'plan/peak':>10}{'leak':>8}{'tok/s':>10}"
    )
    for r in rows:
        if "error" in r:
            print(f"{r['model']:<12}{r['batch']:>6}{r['seq']:>6}{r['ckpt']!s:>6}  {r['error'][:80]}")
            continue
        print(f"{r['model']:<12}{r['batch']:>6}{r['seq']:>6}{r['ckpt']!s:>6}{r['precision']:>6}{r['paged']!s:>6}{r['sdpa']:>10}{r['peak_gib']:>8}{r['plan_gib']:>8}"
              f"{r['plan_over_peak']:>10}{r['leaked_gib']:>8}{r['tokens_per_s']:>10}")  # fmt: skip


if __name__ == "__main__":
    main()
