"""QLoRA training speed, memory and loss: naive Trainer vs TRL SFTTrainer vs the appliance engine.

    .venv/bin/python -m bench.train                  # SmolLM2-135M-Instruct (embedded): ~6 min on 2 busy cores
    .venv/bin/python -m bench.train --tiny           # a 2-layer random Llama (tests/tiny.py): smoke run
    .venv/bin/python -m bench.train --model DIR      # any HF folder (skips the GGUF import)
    .venv/bin/python -m bench.train --only ours --model DIR --profile   # one trainer, cProfile top entries
    .venv/bin/python -m bench.train --steps 16 --val 32                 # a longer run (~25 min on 2 cores)

Defaults: 4 optimizer steps of 4 examples (the first is warm-up, not timed), seq_len 512, lr 2e-4, 8
validation records, one torch thread per trainer. On 2 CPU cores a naive step (4 x 512 padded tokens)
takes ~20-60 s depending on other load, which is why the default run is this short.

The same base model (bitsandbytes NF4 + double quantization, `prepare_model_for_kbit_training`), the same LoRA
(r 16, alpha 32, dropout 0, all-linear; identical initial adapter weights), the same records in the same
order, learning rate, linear schedule, warm-up, steps, global batch (examples per optimizer step) and seed go
through three trainers, each in its own child process so that its peak RSS (ru_maxrss) is its own:

  naive  transformers `Trainer` + peft; every example padded to seq_len; no packing or length grouping;
         prompt tokens masked out of the loss (-100).
  trl    TRL `SFTTrainer` on conversational prompt/completion records (completion-only loss) with
         `padding_free=True` (see NOTES below for why not `packing=True`).
  ours   `appliance.train.engine.fit` (padding-free packing with block-diagonal masks, head on answer tokens).

Data: appliance/samples/clinical_notes.jsonl (variable length, 144-268 tokens with SmolLM2's chat template),
a seeded split into train and validation. tokens/s counts real (non-pad) tokens of the optimizer steps after
the first `--skip` (warm-up) steps over the wall time of those steps. The final validation loss of every
trainer is computed by the same function (token-weighted completion cross-entropy, one padded batch of
`--batch` at a time), so the three numbers are comparable. Prints one JSON object with the ratios
ours/naive and ours/trl; targets (issue #6): >= 3x naive and >= 1.1x TRL tokens/s at equal or lower peak
memory, final validation loss within 2%.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("APPLIANCE_PASSPHRASE", "appliance-demo")
os.environ.setdefault("TQDM_DISABLE", "1")

from appliance.offline import enforce_offline  # noqa: E402

enforce_offline()

TRAINERS = ("naive", "trl", "ours")
SAMPLES = ROOT / "appliance" / "samples" / "clinical_notes.jsonl"
TARGET_VS_NAIVE, TARGET_VS_TRL, TARGET_LOSS_REL = 3.0, 1.1, 0.02
NOTES = [
    "TRL: padding_free=True, packing=False, per_device_train_batch_size=--batch. packing=True (bfd) packs the "
    "dataset into max_length rows before batching, so a 'batch' becomes rows of several examples and the "
    "examples per optimizer step (and the number of steps per epoch) would differ from the other trainers; "
    "padding-free without packing flattens each micro-batch's examples into one row with restarting "
    "position_ids and keeps the global batch identical.",
    "TRL documents padding-free as FlashAttention-only, but transformers >= 4.53 (here 5.x) builds a "
    "block-diagonal mask from restarting position_ids when attention_mask is None, also for sdpa/eager; "
    "trl.padding_free_max_abs_diff checks it: last hidden states of examples flattened into one row vs "
    "each example alone (a leak would show as a large difference).",
    "TRL casts QLoRA adapter weights to bf16 (QLoRA paper recipe for bf16 compute); on CPU the compute dtype "
    "is fp32, as in the other two trainers, so the fp32 adapter weights are restored after SFTTrainer init "
    "(same initial weights and precision everywhere).",
    "All three: fp32 compute (bf16=False: SFTConfig defaults to bf16 autocast), gradient_checkpointing=False "
    "(SFTConfig defaults to True; the engine's default is False), sdpa attention, AdamW (Trainer's default "
    "fused AdamW for naive/trl, torch AdamW for ours), lr linear decay after int(steps * warmup_ratio) "
    "warm-up steps, max_grad_norm 1.0, weight_decay 0.",
    "Naive and TRL read the training examples in the engine's epoch order (train_sampling_strategy="
    "'sequential'), so all three see the same examples in every optimizer step.",
    "tokens_per_cpu_s divides the same real tokens by the process's CPU seconds (all threads) over the same "
    "steps: on a machine shared with other work, wall-clock tokens/s moves with the load, CPU time much less; "
    "the targets are judged on wall-clock tokens/s, as the issue asks.",
    "One torch thread per trainer by default (--threads): on 2 cores shared with other work a second OpenMP "
    "thread mostly spin-waits, which adds noise to the wall clock and inflates CPU time.",
    "cpu_packed_4bit_modules_after_training must be 0: on AVX512-BF16 CPUs bitsandbytes repacks a Linear4bit "
    "weight for its inference kernel on the first eval-mode forward without grad, for good, and that kernel "
    "(gemv_4bit) has no autograd formula, so later training steps silently lose the gradient through the frozen "
    "4-bit matmuls (faster, wrong). Validation here runs in train mode (dropout 0) and after training; "
    "--probe-eval reproduces what `appliance train` does (evaluate_loss before fit).",
    "peak_rss_mb is ru_maxrss of the trainer's process at the end of training (model load included; "
    "validation runs after it); train_rss_increase_mb is the sampled RSS peak during training minus the RSS "
    "just before it.",
]


# ---------------------------------------------------------------- shared by the children


def canonical_records(path: Path) -> list[dict[str, Any]]:
    out = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.strip():
                r = json.loads(line)
                out.append({"id": str(r["id"]), "prompt": r["instruction"], "response": r["response"]})
    return out


class RssSampler:
    """Peak resident set size of this process while running (sampled from /proc/self/statm)."""

    def __init__(self, interval: float = 0.02):
        self.interval, self.peak, self._stop = interval, 0, threading.Event()
        self._page = os.sysconf("SC_PAGE_SIZE")
        self.start_rss = self.rss()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def rss(self) -> int:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * self._page

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self.rss())
            self._stop.wait(self.interval)

    def __enter__(self) -> RssSampler:
        self.start_rss = self.rss()
        self.peak = self.start_rss
        self.t0 = time.perf_counter()
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self.rss())


def quiet() -> None:
    import logging
    import warnings

    warnings.filterwarnings("ignore")
    import datasets
    import transformers

    transformers.logging.set_verbosity_error()
    transformers.utils.logging.disable_progress_bar()
    datasets.disable_progress_bars()
    datasets.logging.set_verbosity_error()
    for name in ("trl", "peft", "accelerate", "bitsandbytes"):
        logging.getLogger(name).setLevel(logging.ERROR)


def qlora_base(model_dir: str) -> Any:
    """The 4-bit NF4 base (double quantization, fp32 compute on CPU), prepared for k-bit training."""
    import torch
    from peft import prepare_model_for_kbit_training
    from transformers import AutoModelForCausalLM, BitsAndBytesConfig

    bnb = BitsAndBytesConfig(load_in_4bit=True, bnb_4bit_quant_type="nf4", bnb_4bit_use_double_quant=True,
                             bnb_4bit_compute_dtype=torch.float32)  # fmt: skip
    model = AutoModelForCausalLM.from_pretrained(model_dir, quantization_config=bnb, dtype=torch.float32,
                                                 device_map={"": "cpu"})  # fmt: skip
    model.config.use_cache = False
    return prepare_model_for_kbit_training(model, use_gradient_checkpointing=False)


def peft_qlora(model_dir: str, args: argparse.Namespace) -> Any:
    import torch
    from peft import LoraConfig, get_peft_model

    model = qlora_base(model_dir)
    torch.manual_seed(args.seed)  # the engine seeds before build_model: same initial adapter weights
    lcfg = LoraConfig(r=args.rank, lora_alpha=args.alpha, lora_dropout=0.0, target_modules="all-linear",
                      task_type="CAUSAL_LM")  # fmt: skip
    return get_peft_model(model, lcfg)


def lora_checksum(model: Any) -> float:
    """Sum of |lora_A| over the adapter: equal in all three children when the initial adapters are equal."""
    return round(sum(float(p.detach().double().abs().sum()) for n, p in model.named_parameters()
                     if "lora_A" in n), 6)  # fmt: skip


def validation_loss(model: Any, examples: list[Any], pad_id: int, batch: int) -> float:
    """Token-weighted completion cross-entropy; right-padded batches with a 2-D mask, the same for all trainers.
    The head is applied only where a target is, so evaluation does not raise the process's peak memory.
    Runs with the modules in train mode (LoRA dropout is 0, so it is the same function) to keep the fp32
    dequantize path the model was trained with."""
    import torch

    from appliance.data import IGNORE_INDEX

    lm = model.get_base_model() if hasattr(model, "get_base_model") else model
    decoder, head = lm.get_decoder(), lm.get_output_embeddings()
    was = model.training
    model.train()  # dropout is 0 in all three; eval mode would make bnb repack its weights (cpu_packed_4bit)
    total, count = 0.0, 0
    with torch.no_grad():
        for i in range(0, len(examples), batch):
            exs = examples[i : i + batch]
            width = max(len(e.input_ids) for e in exs)
            ids = torch.full((len(exs), width), pad_id, dtype=torch.long)
            mask = torch.zeros((len(exs), width), dtype=torch.long)
            labels = torch.full((len(exs), width), IGNORE_INDEX, dtype=torch.long)
            for r, e in enumerate(exs):
                ids[r, : len(e.input_ids)] = torch.tensor(e.input_ids)
                mask[r, : len(e.input_ids)] = 1
                labels[r, : len(e.labels)] = torch.tensor(e.labels)
            hidden = decoder(input_ids=ids, attention_mask=mask, use_cache=False).last_hidden_state[:, :-1]
            target = labels[:, 1:]
            keep = target != IGNORE_INDEX
            logits = head(hidden[keep]).float()
            total += float(torch.nn.functional.cross_entropy(logits, target[keep], reduction="sum"))
            count += int(keep.sum())
    model.train(was)
    return total / max(count, 1)


def encode_split(tok: Any, data: dict[str, list[dict]], args: argparse.Namespace) -> dict[str, Any]:
    """Encoded train/validation examples (records the chat template makes longer than seq_len are left out,
    so no trainer truncates), and the engine's epoch-0 order that naive and TRL are fed in."""
    from appliance.train.batching import encode_records, epoch_order

    out: dict[str, Any] = {}
    for split in ("train", "validation"):
        exs, _ = encode_records(tok, data[split], "instruction", args.seq_len, None)
        keep = [e for e in exs if not e.truncated]
        by_id = {r["id"]: r for r in data[split]}
        out[split] = keep
        out[f"{split}_records"] = [by_id[e.id] for e in keep]
        out[f"{split}_left_out"] = len(data[split]) - len(keep)
    global_size = args.batch * args.grad_accum
    order = epoch_order(out["train"], args.seed, 0, "padding-free", global_size, None)
    out["order"] = order
    out["ordered"] = [out["train"][i] for i in order]
    out["ordered_records"] = [out["train_records"][i] for i in order]
    out["same_order_all_steps"] = args.steps * global_size <= len(order)
    return out


def stamp() -> tuple[float, float]:
    """(wall seconds, CPU seconds of this process, all threads): CPU time is less sensitive to other work."""
    return time.perf_counter(), time.process_time()


def step_window(stamps: list[tuple[float, float]], tokens: list[int], skip: int) -> dict[str, Any]:
    """Real tokens/s over the optimizer steps after the first `skip` (stamps taken at each step's end)."""
    skip = min(max(skip, 1), len(stamps) - 1)
    if skip < 1:
        return {"measured_steps": 0, "tokens_per_s": None, "tokens_per_cpu_s": None}
    secs = stamps[-1][0] - stamps[skip - 1][0]
    cpu = stamps[-1][1] - stamps[skip - 1][1]
    toks = sum(tokens[skip:])
    return {
        "measured_steps": len(stamps) - skip,
        "measured_tokens": toks,
        "measured_seconds": round(secs, 2),
        "measured_cpu_seconds": round(cpu, 2),
        "tokens_per_s": round(toks / secs, 2),
        "tokens_per_cpu_s": round(toks / cpu, 2),
        "step_seconds_2_on": [round(b[0] - a[0], 2) for a, b in zip(stamps, stamps[1:], strict=False)],
    }


def hf_training_args(cls: type, args: argparse.Namespace, out_dir: str, **extra: Any) -> Any:
    return cls(
        output_dir=out_dir,
        per_device_train_batch_size=args.batch,
        gradient_accumulation_steps=args.grad_accum,
        max_steps=args.steps,
        learning_rate=args.lr,
        lr_scheduler_type="linear",
        warmup_steps=int(args.steps * args.warmup_ratio),
        weight_decay=0.0,
        max_grad_norm=1.0,
        seed=args.seed,
        data_seed=args.seed,
        train_sampling_strategy="sequential",
        use_cpu=True,
        bf16=False,
        fp16=False,
        gradient_checkpointing=False,
        save_strategy="no",
        eval_strategy="no",
        logging_strategy="steps",
        logging_steps=1,
        report_to="none",
        disable_tqdm=True,
        dataloader_num_workers=0,
        **extra,
    )


def counting(cls: type) -> type:
    """A Trainer subclass that counts real (non-pad) input tokens and stamps the end of each optimizer step."""
    from transformers import TrainerCallback
    from transformers.trainer_callback import PrinterCallback

    class Stamps(TrainerCallback):
        def __init__(self, owner: Any):
            self.owner = owner

        def on_step_end(self, args, state, control, **kw):  # noqa: ANN001, ANN201, ARG002
            o = self.owner
            o.bench_times.append(stamp())
            o.bench_step_tokens.append(o.bench_tokens - sum(o.bench_step_tokens))

        def on_log(self, args, state, control, logs=None, **kw):  # noqa: ANN001, ANN201, ARG002
            if logs and "loss" in logs:
                self.owner.bench_losses.append(round(float(logs["loss"]), 5))

    class Counting(cls):  # type: ignore[misc, valid-type]
        def __init__(self, *a: Any, **k: Any):
            super().__init__(*a, **k)
            self.bench_tokens, self.bench_padded = 0, 0
            self.bench_times: list[tuple[float, float]] = []
            self.bench_step_tokens: list[int] = []
            self.bench_losses: list[float] = []
            self.remove_callback(PrinterCallback)
            self.add_callback(Stamps(self))

        def training_step(self, model: Any, inputs: dict[str, Any], *a: Any, **k: Any) -> Any:
            ids = inputs["input_ids"]
            mask = inputs.get("attention_mask")
            self.bench_tokens += int(mask.sum()) if mask is not None and mask.dim() == 2 else int(ids.numel())
            self.bench_padded += int(ids.numel())
            return super().training_step(model, inputs, *a, **k)

    return Counting


def profiled(args: argparse.Namespace, fn: Any) -> tuple[Any, list[dict[str, Any]] | None]:
    if not args.profile:
        return fn(), None
    import cProfile
    import pstats

    prof = cProfile.Profile()
    prof.enable()
    try:
        result = fn()
    finally:
        prof.disable()
    stats = pstats.Stats(prof).stats  # type: ignore[attr-defined]
    rows = sorted(stats.items(), key=lambda kv: -kv[1][3])[: args.profile]
    top = [{"function": f"{Path(f).name}:{line}({name})", "ncalls": nc, "tottime": round(tt, 3),
            "cumtime": round(ct, 3)} for (f, line, name), (_cc, nc, tt, ct, _callers) in rows]  # fmt: skip
    return result, top


def run_naive(
    args: argparse.Namespace, tok: Any, enc: dict[str, Any], pad_id: int, tmp: str
) -> dict[str, Any]:
    from datasets import Dataset
    from transformers import Trainer, TrainingArguments, default_data_collator

    from appliance.data import IGNORE_INDEX

    model = peft_qlora(args.model_dir, args)
    checksum = lora_checksum(model)
    rows = []
    for e in enc["ordered"]:
        pad = args.seq_len - len(e.input_ids)
        rows.append({"input_ids": e.input_ids + [pad_id] * pad, "attention_mask": [1] * len(e.input_ids) + [0] * pad,
                     "labels": e.labels + [IGNORE_INDEX] * pad})  # fmt: skip
    targs = hf_training_args(TrainingArguments, args, tmp, remove_unused_columns=False)
    trainer = counting(Trainer)(model=model, args=targs, train_dataset=Dataset.from_list(rows),
                                data_collator=default_data_collator)  # fmt: skip
    with RssSampler() as mem:
        _, top = profiled(args, trainer.train)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    packed = cpu_packed_4bit(model)
    return {
        "settings": {
            "trainer": "transformers.Trainer + peft",
            "padding": f"max_length={args.seq_len}",
            "packing": False,
            "length_grouping": False,
            "loss": "completion-only (-100 on prompt)",
        },
        "lora_init_checksum": checksum,
        **step_window(trainer.bench_times, trainer.bench_step_tokens, args.skip),
        "steps": len(trainer.bench_times),
        "train_seconds": round(trainer.bench_times[-1][0] - mem.t0, 2) if trainer.bench_times else None,
        "real_tokens": trainer.bench_tokens,
        "processed_tokens": trainer.bench_padded,
        "train_loss": trainer.bench_losses,
        "peak_rss_mb": round(peak, 1),
        "cpu_packed_4bit_modules_after_training": packed,
        "train_rss_increase_mb": round((mem.peak - mem.start_rss) / 2**20, 1),
        "val_loss": round(validation_loss(model, enc["validation"], pad_id, args.batch), 5),
        **({"profile_top_cumulative": top} if top else {}),
    }


def padding_free_leak(model: Any, examples: list[Any]) -> float:
    """Max |last hidden state| difference between examples flattened in one row (restarting position_ids,
    no attention mask: TRL's padding-free batch) and each example alone. Run in train mode (dropout is 0):
    an eval-mode forward would make bitsandbytes repack the 4-bit weights for CPU inference (see
    cpu_packed_4bit_modules)."""
    import torch

    decoder = model.get_base_model().get_decoder()
    model.train()
    with torch.no_grad():
        ids = torch.tensor([[t for e in examples for t in e.input_ids]])
        pos = torch.cat([torch.arange(len(e.input_ids)) for e in examples])[None]
        flat = decoder(input_ids=ids, position_ids=pos, use_cache=False).last_hidden_state[0]
        alone = torch.cat(
            [
                decoder(input_ids=torch.tensor([e.input_ids]), use_cache=False).last_hidden_state[0]
                for e in examples
            ]
        )
    return float((flat - alone).abs().max())


def cpu_packed_4bit(model: Any) -> int:
    """bitsandbytes Linear4bit modules whose weights were repacked for its CPU inference kernel. bnb does this
    on the first forward in eval mode without grad (AVX512-BF16 CPUs), permanently; the packed kernel
    (gemv_4bit) has no autograd formula, so a later training step silently drops the gradient through the
    frozen 4-bit matmuls. Must be 0 at the end of training for the gradients to be right."""
    import bitsandbytes as bnb

    n = 0
    for mod in model.modules():
        if isinstance(mod, bnb.nn.Linear4bit):
            n += bool(getattr(mod.weight.quant_state, "packing_format_for_cpu", False))
    return n


def run_trl(args: argparse.Namespace, tok: Any, enc: dict[str, Any], pad_id: int, tmp: str) -> dict[str, Any]:
    from datasets import Dataset
    from trl import SFTConfig, SFTTrainer

    model = peft_qlora(args.model_dir, args)
    checksum = lora_checksum(model)
    fp32 = {n: p.detach().clone() for n, p in model.named_parameters() if p.requires_grad}
    rows = [{"prompt": [{"role": "user", "content": r["prompt"]}],
             "completion": [{"role": "assistant", "content": r["response"]}]} for r in enc["ordered_records"]]  # fmt: skip
    cfg = hf_training_args(SFTConfig, args, tmp, padding_free=True, packing=False, max_length=None,
                           completion_only_loss=True, shuffle_dataset=False)  # fmt: skip
    trainer = counting(SFTTrainer)(model=model, args=cfg, train_dataset=Dataset.from_list(rows),
                                   processing_class=tok)  # fmt: skip
    cast = sorted({str(p.dtype) for p in trainer.model.parameters() if p.requires_grad})
    for n, p in trainer.model.named_parameters():
        if n in fp32:
            p.data = fp32[n]
    # Does TRL's tokenization of the prompt/completion records equal the engine's (ids and loss mask)?
    ds = trainer.train_dataset
    same = sum(1 for i, e in enumerate(enc["ordered"])
               if ds[i]["input_ids"] == e.input_ids and ds[i]["labels"] == e.labels)  # fmt: skip
    leak = padding_free_leak(trainer.model, enc["ordered"][:3])
    with RssSampler() as mem:
        _, top = profiled(args, trainer.train)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    packed = cpu_packed_4bit(trainer.model)
    return {
        "settings": {
            "trainer": "trl.SFTTrainer",
            "padding_free": True,
            "packing": False,
            "max_length": None,
            "completion_only_loss": True,
            "attn_implementation": trainer.model.config._attn_implementation,
            "adapter_dtype_after_init": cast,
            "adapter_dtype_trained": "torch.float32",
        },  # fmt: skip
        "lora_init_checksum": checksum,
        "tokenization_matches_ours": f"{same}/{len(enc['ordered'])}",
        "padding_free_max_abs_diff": leak,
        **step_window(trainer.bench_times, trainer.bench_step_tokens, args.skip),
        "steps": len(trainer.bench_times),
        "train_seconds": round(trainer.bench_times[-1][0] - mem.t0, 2) if trainer.bench_times else None,
        "real_tokens": trainer.bench_tokens,
        "processed_tokens": trainer.bench_padded,
        "train_loss": trainer.bench_losses,
        "peak_rss_mb": round(peak, 1),
        "cpu_packed_4bit_modules_after_training": packed,
        "train_rss_increase_mb": round((mem.peak - mem.start_rss) / 2**20, 1),
        "val_loss": round(validation_loss(trainer.model, enc["validation"], pad_id, args.batch), 5),
        **({"profile_top_cumulative": top} if top else {}),
    }


def run_ours(
    args: argparse.Namespace, tok: Any, enc: dict[str, Any], pad_id: int, tmp: str
) -> dict[str, Any]:
    import torch

    from appliance.config import TrainSection
    from appliance.events import NullSink, StageProgress
    from appliance.train.batching import collate_lm, epoch_order, global_batches, real_tokens
    from appliance.train.engine import evaluate_loss, fit
    from appliance.train.run import build_model

    cfg = TrainSection.model_validate({
        "method": "qlora",
        "lora": {"r": args.rank, "alpha": args.alpha, "dropout": 0.0, "targets": "all-linear"},
        "hparams": {"lr": args.lr, "max_steps": args.steps, "batch_size": args.batch, "grad_accum": args.grad_accum,
                    "seq_len": args.seq_len, "warmup_ratio": args.warmup_ratio, "seed": args.seed,
                    "packing": "padding-free", "save_steps": 0},
    })  # fmt: skip
    hp = cfg.hparams
    torch.manual_seed(args.seed)
    model, _head, objective = build_model(Path(args.model_dir), cfg, "cpu", None)
    checksum = lora_checksum(model)
    train = enc["train"]
    global_size = hp.batch_size * hp.grad_accum
    batches = global_batches(epoch_order(train, hp.seed, 0, hp.packing, global_size, None), global_size)
    step_tokens = [real_tokens([train[j] for j in b]) for b in batches][: args.steps]
    processed = 0
    for b in batches[: args.steps]:
        for k in range(0, len(b), hp.batch_size):
            processed += collate_lm([train[j] for j in b[k : k + hp.batch_size]], pad_id, hp.packing,
                                    hp.seq_len)["input_ids"].numel()  # fmt: skip
    if args.probe_eval:  # what appliance.train.run._fit_and_save does before fit (loss_before on 8 examples)
        evaluate_loss(objective, train[:8], "lm", pad_id, hp, "cpu")
    times: list[tuple[float, float]] = []
    with RssSampler() as mem:
        result, top = profiled(args, lambda: fit(
            objective, train, hp, kind="lm", pad_id=pad_id, device="cpu",
            progress=StageProgress(NullSink(), "train", None), val_examples=None, store=None,
            on_step=lambda rec: times.append(stamp()),
        ))  # fmt: skip
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    packed = cpu_packed_4bit(model)
    val = validation_loss(model, enc["validation"], pad_id, args.batch)
    engine_val = evaluate_loss(objective, enc["validation"], "lm", pad_id, hp, "cpu")["all"]
    return {
        "settings": {
            "trainer": "appliance.train.engine.fit",
            "probe_eval_before_fit": args.probe_eval,
            "packing": hp.packing,
            "method": cfg.method,
            "gradient_checkpointing": hp.gradient_checkpointing,
        },  # fmt: skip
        "lora_init_checksum": checksum,
        **step_window(times, step_tokens, args.skip),
        "steps": result.step,
        "train_seconds": round(result.seconds, 2),
        "real_tokens": result.tokens,
        "real_tokens_check": sum(step_tokens) == result.tokens,
        "processed_tokens": processed,
        "train_loss": [h["loss"] for h in result.history],
        "peak_rss_mb": round(peak, 1),
        "cpu_packed_4bit_modules_after_training": packed,
        "engine_peak_memory_mb": round(result.peak_memory_mb, 1),
        "train_rss_increase_mb": round((mem.peak - mem.start_rss) / 2**20, 1),
        "val_loss": round(val, 5),
        "val_loss_engine_evaluate_loss": round(engine_val, 5),
        **({"profile_top_cumulative": top} if top else {}),
    }


RUNNERS = {"naive": run_naive, "trl": run_trl, "ours": run_ours}


def child(args: argparse.Namespace) -> dict[str, Any]:
    quiet()
    import torch
    from transformers import AutoTokenizer

    t0 = time.perf_counter()
    if args.threads:
        torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    tok = AutoTokenizer.from_pretrained(args.model_dir)
    pad_id = tok.pad_token_id if tok.pad_token_id is not None else tok.eos_token_id
    data = json.loads(Path(args.data).read_text("utf-8"))
    enc = encode_split(tok, data, args)
    with tempfile.TemporaryDirectory(prefix=f"bench-train-{args.only}-") as tmp:
        res = RUNNERS[args.only](args, tok, enc, pad_id, tmp)
    return {
        "trainer": args.only,
        **res,
        "threads": torch.get_num_threads(),
        "train_examples": len(enc["train"]),
        "validation_examples": len(enc["validation"]),
        "left_out_longer_than_seq_len": enc["train_left_out"] + enc["validation_left_out"],
        "same_order_all_steps": enc["same_order_all_steps"],
        "process_seconds": round(time.perf_counter() - t0, 1),
    }


# ---------------------------------------------------------------- the parent


def prepare(args: argparse.Namespace, tmp: Path) -> tuple[str, Path, str]:
    """(model folder, data file, model label): the model is imported once, the data split once."""
    records = canonical_records(SAMPLES)
    rng = random.Random(args.seed)
    rng.shuffle(records)
    data = {"validation": records[: args.val], "train": records[args.val :]}
    data_file = tmp / "data.json"
    data_file.write_text(json.dumps(data), "utf-8")
    if args.model:
        return str(Path(args.model).resolve()), data_file, str(args.model)
    if args.tiny:
        from tests.tiny import make_tiny_llama

        corpus = [r["prompt"] + " " + r["response"] for r in records]
        return (
            str(make_tiny_llama(tmp / "tiny-llama", corpus)),
            data_file,
            "tiny random Llama (tests/tiny.py)",
        )
    quiet()
    from appliance.models import resolve_model
    from appliance.workspace import Workspace

    ws = Workspace.open(tmp / "workspace")
    return (
        str(resolve_model(ws, "default").path),
        data_file,
        "SmolLM2-135M-Instruct (embedded, imported from GGUF)",
    )


def child_cmd(args: argparse.Namespace, name: str, model_dir: str, data_file: Path, out: Path) -> list[str]:
    cmd = [sys.executable, "-m", "bench.train", "--only", name, "--model-dir", model_dir, "--data", str(data_file),
           "--out", str(out)]  # fmt: skip
    for flag in (
        "threads",
        "steps",
        "batch",
        "grad_accum",
        "seq_len",
        "lr",
        "warmup_ratio",
        "seed",
        "rank",
        "alpha",
        "skip",
    ):
        cmd += [f"--{flag.replace('_', '-')}", str(getattr(args, flag))]
    return cmd + (["--probe-eval"] if args.probe_eval and name == "ours" else [])


def ratio(a: float | None, b: float | None) -> float | None:
    return round(a / b, 3) if a is not None and b else None


def rel(a: float | None, b: float | None) -> float | None:
    return round((a - b) / b, 4) if a is not None and b else None


def summarize(results: dict[str, dict[str, Any]]) -> dict[str, Any]:
    ours, naive, trl = (results.get(k, {}) for k in ("ours", "naive", "trl"))
    tps = {k: r.get("tokens_per_s") for k, r in results.items()}
    mem = {k: r.get("peak_rss_mb") for k, r in results.items()}
    loss = {k: r.get("val_loss") for k, r in results.items()}
    out: dict[str, Any] = {
        "tokens_per_s": tps,
        "tokens_per_cpu_s": {k: r.get("tokens_per_cpu_s") for k, r in results.items()},
        "peak_rss_mb": mem,
        "train_rss_increase_mb": {k: r.get("train_rss_increase_mb") for k, r in results.items()},
        "val_loss": loss,
        "ratios": {
            "tokens_per_s_ours_vs_naive": ratio(ours.get("tokens_per_s"), naive.get("tokens_per_s")),
            "tokens_per_s_ours_vs_trl": ratio(ours.get("tokens_per_s"), trl.get("tokens_per_s")),
            "tokens_per_cpu_s_ours_vs_naive": ratio(
                ours.get("tokens_per_cpu_s"), naive.get("tokens_per_cpu_s")
            ),
            "tokens_per_cpu_s_ours_vs_trl": ratio(ours.get("tokens_per_cpu_s"), trl.get("tokens_per_cpu_s")),
            "peak_rss_ours_vs_naive": ratio(ours.get("peak_rss_mb"), naive.get("peak_rss_mb")),
            "peak_rss_ours_vs_trl": ratio(ours.get("peak_rss_mb"), trl.get("peak_rss_mb")),
            "val_loss_rel_diff_ours_vs_naive": rel(ours.get("val_loss"), naive.get("val_loss")),
            "val_loss_rel_diff_ours_vs_trl": rel(ours.get("val_loss"), trl.get("val_loss")),
        },
    }
    r = out["ratios"]
    if None not in r.values():
        out["targets"] = {
            "tokens_per_s_vs_naive_ge_3": r["tokens_per_s_ours_vs_naive"] >= TARGET_VS_NAIVE,
            "tokens_per_s_vs_trl_ge_1_1": r["tokens_per_s_ours_vs_trl"] >= TARGET_VS_TRL,
            "peak_memory_le_naive": r["peak_rss_ours_vs_naive"] <= 1.0,
            "peak_memory_le_trl": r["peak_rss_ours_vs_trl"] <= 1.0,
            "val_loss_within_2pct": max(
                abs(r["val_loss_rel_diff_ours_vs_naive"]), abs(r["val_loss_rel_diff_ours_vs_trl"])
            )
            <= TARGET_LOSS_REL,  # fmt: skip
        }
        out["targets"]["all_met"] = all(out["targets"].values())
    return out


def parent(args: argparse.Namespace) -> dict[str, Any]:
    t0 = time.perf_counter()
    results: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory(prefix="bench-train-") as tmp_s:
        tmp = Path(tmp_s)
        model_dir, data_file, label = prepare(args, tmp)
        prep_s = round(time.perf_counter() - t0, 1)
        for name in args.trainers:
            out = tmp / f"{name}.json"
            env = {**os.environ, "TQDM_DISABLE": "1", "PYTHONWARNINGS": "ignore"}
            if args.threads:
                env["OMP_NUM_THREADS"] = env["MKL_NUM_THREADS"] = str(args.threads)
            proc = subprocess.run(child_cmd(args, name, model_dir, data_file, out), cwd=ROOT, env=env,
                                  capture_output=True, text=True, timeout=args.timeout)  # fmt: skip
            if proc.returncode != 0 or not out.is_file():
                results[name] = {"trainer": name, "error": (proc.stderr or proc.stdout)[-2000:]}
            else:
                results[name] = json.loads(out.read_text("utf-8"))
            print(f"[bench.train] {name}: {results[name].get('tokens_per_s', 'failed')} tokens/s",
                  file=sys.stderr, flush=True)  # fmt: skip
    return {
        "bench": "train",
        "model": label,
        "method": f"qlora (bnb nf4, double quant, fp32 compute), LoRA r {args.rank} alpha {args.alpha} "
        "dropout 0 all-linear",
        "data": f"{SAMPLES.relative_to(ROOT)} (instruction/response, model chat template), {args.val} validation",
        "hparams": {
            "threads": args.threads,
            "steps": args.steps,
            "batch": args.batch,
            "grad_accum": args.grad_accum,
            "global_batch_examples": args.batch * args.grad_accum,
            "seq_len": args.seq_len,
            "lr": args.lr,
            "warmup_steps": int(args.steps * args.warmup_ratio),
            "seed": args.seed,
            "timed_steps": f"steps {args.skip + 1}..{args.steps} (first {args.skip} are warm-up)",
        },  # fmt: skip
        **summarize(results),
        "trainers": results,
        "notes": NOTES,
        "prepare_seconds": prep_s,
        "total_seconds": round(time.perf_counter() - t0, 1),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tiny", action="store_true", help="a tiny random Llama (tests/tiny.py) for a smoke run")
    ap.add_argument(
        "--model", help="an HF model folder instead of the embedded SmolLM2 (skips the GGUF import)"
    )
    ap.add_argument("--steps", type=int, default=4, help="optimizer steps (default 4)")
    ap.add_argument("--batch", type=int, default=4, help="examples per micro-batch (default 4)")
    ap.add_argument("--grad-accum", type=int, default=1, help="micro-batches per optimizer step (default 1)")
    ap.add_argument("--seq-len", type=int, default=512, help="max length; naive pads every example to it")
    ap.add_argument("--lr", type=float, default=2e-4)
    ap.add_argument("--warmup-ratio", type=float, default=0.1, help="lr warm-up: int(steps * ratio) steps")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument(
        "--threads",
        type=int,
        default=1,
        help="torch threads per trainer (default 1: on cores shared with other work, a second OpenMP thread "
        "mostly spin-waits; 0 keeps torch's default)",
    )
    ap.add_argument("--rank", type=int, default=16, help="LoRA rank (alpha below)")
    ap.add_argument("--alpha", type=int, default=32)
    ap.add_argument(
        "--skip", type=int, default=1, help="warm-up optimizer steps left out of tokens/s (default 1)"
    )
    ap.add_argument("--val", type=int, default=8, help="validation records (default 8)")
    ap.add_argument("--trainers", nargs="+", choices=TRAINERS, default=list(TRAINERS))
    ap.add_argument("--only", choices=TRAINERS, help="run one trainer in this process and print its JSON")
    ap.add_argument("--profile", type=int, nargs="?", const=25, default=0,
                    help="with --only: cProfile the training call, report the top N cumulative entries")  # fmt: skip
    ap.add_argument(
        "--probe-eval",
        action="store_true",
        help="ours: call evaluate_loss on 8 train examples before fit, as `appliance train` does",
    )
    ap.add_argument("--timeout", type=int, default=1800, help="seconds per trainer process")
    ap.add_argument("--model-dir", help=argparse.SUPPRESS)
    ap.add_argument("--data", help=argparse.SUPPRESS)
    ap.add_argument("--out", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.only:
        if not (args.model_dir and args.data):
            with tempfile.TemporaryDirectory(prefix="bench-train-") as tmp:
                args.model_dir, data_file, _ = prepare(args, Path(tmp))
                args.data = str(data_file)
                res = child(args)
        else:
            res = child(args)
        if args.out:
            Path(args.out).write_text(json.dumps(res), "utf-8")
        else:
            print(json.dumps(res, indent=1))
        return
    print(json.dumps(parent(args), indent=1))


if __name__ == "__main__":
    main()
