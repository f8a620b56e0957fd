"""The training loop: objectives, global batches, accumulation, checkpoints, interruption, distributed.

One optimizer step consumes one *global batch* (batch_size x grad_accum x processes examples). The loss is
the sum of target-token cross-entropies divided by the number of target tokens in the whole global batch, so a
run on N processes computes the same gradient as one process with N times the accumulation. The output head
is applied only at target positions (the answer tokens), never to prompt or pad positions.

Under `accelerate launch` or `torchrun` with several processes (DDP) the same loop runs unchanged: each
process takes its slots of every global batch and the Accelerator synchronises gradients; a stop request on
any process stops all of them at the same step. FSDP and DeepSpeed are refused with a clear message (their
sharded parameters and optimizer need a different checkpoint path).
"""

from __future__ import annotations

import contextlib
import math
import signal
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from appliance.config import HParams
from appliance.data import IGNORE_INDEX
from appliance.errors import ApplianceError
from appliance.events import StageProgress
from appliance.train.batching import (
    TrainExample,
    collate_cls,
    collate_lm,
    epoch_order,
    global_batches,
    micro_slices,
    real_tokens,
)
from appliance.train.checkpoint import CheckpointStore


class TrainingInterrupted(ApplianceError):
    """Stopped on request (signal or cancel) after saving a checkpoint."""


def _objective_classes() -> tuple[type, type]:
    import torch

    from appliance.train.modeling import causal_lm

    class CausalLMObjective(torch.nn.Module):
        """Summed next-token cross-entropy over target positions, and their count."""

        def __init__(self, model: Any):
            super().__init__()
            self.model = model

        def forward(self, input_ids, attention_mask, position_ids, target):  # noqa: ANN001, ANN201
            lm = causal_lm(self.model)
            hidden = lm.get_decoder()(
                input_ids=input_ids, attention_mask=attention_mask, position_ids=position_ids, use_cache=False
            ).last_hidden_state
            keep = target != IGNORE_INDEX
            logits = lm.get_output_embeddings()(hidden[keep]).float()
            cap = getattr(lm.config, "final_logit_softcapping", None)
            if cap:
                logits = torch.tanh(logits / cap) * cap
            loss = torch.nn.functional.cross_entropy(logits, target[keep], reduction="sum")
            return loss, keep.sum()

    class ClassifierObjective(torch.nn.Module):
        """A linear head on mean-pooled last hidden states; the body is frozen for feature extraction."""

        def __init__(self, model: Any, head: Any, frozen_body: bool):
            super().__init__()
            self.model, self.head, self.frozen_body = model, head, frozen_body

        def logits(self, input_ids, attention_mask):  # noqa: ANN001, ANN201
            decoder = causal_lm(self.model).get_decoder()
            with torch.set_grad_enabled(torch.is_grad_enabled() and not self.frozen_body):
                hidden = decoder(input_ids=input_ids, attention_mask=attention_mask, use_cache=False).last_hidden_state
            m = attention_mask.unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * m).sum(1) / m.sum(1).clamp(min=1)
            return self.head(pooled.float())

        def forward(self, input_ids, attention_mask, classes):  # noqa: ANN001, ANN201
            logits = self.logits(input_ids, attention_mask)
            loss = torch.nn.functional.cross_entropy(logits, classes, reduction="sum")
            return loss, torch.tensor(classes.numel(), device=classes.device)

    return CausalLMObjective, ClassifierObjective


def make_objective(model: Any, head: Any | None = None, frozen_body: bool = False) -> Any:
    lm_cls, cls_cls = _objective_classes()
    return lm_cls(model) if head is None else cls_cls(model, head, frozen_body)


@dataclass
class FitResult:
    step: int
    epoch: int
    tokens: int
    seconds: float
    history: list[dict[str, Any]] = field(default_factory=list)
    evals: list[dict[str, Any]] = field(default_factory=list)
    best_val_loss: float | None = None
    stopped_early: bool = False
    pruned: bool = False
    resumed_from: int | None = None
    skipped_checkpoints: list[str] = field(default_factory=list)
    peak_memory_mb: float = 0.0
    micro_split: int = 1
    restored_best: bool = False  # early stopping put the best evaluated weights back


class StopFlag:
    """Set by SIGINT/SIGTERM (main thread only) or by `cancel()` from another thread (the TUI)."""

    def __init__(self) -> None:
        self.event = threading.Event()
        self.reason = ""
        self._old: dict[int, Any] = {}

    def cancel(self, reason: str = "cancelled") -> None:
        self.reason = self.reason or reason
        self.event.set()

    def __bool__(self) -> bool:
        return self.event.is_set()

    def __enter__(self) -> StopFlag:
        if threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGINT, signal.SIGTERM):
                self._old[sig] = signal.signal(sig, lambda s, f: self.cancel(signal.Signals(s).name))
        return self

    def __exit__(self, *exc: Any) -> None:
        for sig, old in self._old.items():
            signal.signal(sig, old)


def peak_memory_mb(device: str) -> float:
    import resource

    import torch

    if device == "cuda":
        return torch.cuda.max_memory_allocated() / 2**20
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _is_oom(exc: BaseException) -> bool:
    import torch

    return isinstance(exc, torch.OutOfMemoryError) or "out of memory" in str(exc).lower()


def to_device(batch: dict[str, Any], device: Any) -> dict[str, Any]:
    return {k: v.to(device) for k, v in batch.items()}


GPU_PAD_MULTIPLE = 64  # row widths on a GPU: few distinct shapes (per-shape kernel plans), little padding


def torch_device_type(device: Any) -> str:
    return str(device).split(":")[0]


def batch_tensors(examples: list[TrainExample], kind: str, pad_id: int, hp: HParams, device: Any = "cpu") -> dict:
    if kind == "cls":
        return collate_cls(examples, pad_id)
    multiple = GPU_PAD_MULTIPLE if torch_device_type(device) == "cuda" else 1
    return collate_lm(examples, pad_id, hp.packing, hp.seq_len, multiple)


def bf16_autocast(device: Any, hp: HParams) -> bool:
    """hp.precision auto on a CUDA GPU with native bf16 (Ampere or newer; not emulated)."""
    import torch

    return (hp.precision == "auto" and torch_device_type(device) == "cuda"
            and torch.cuda.is_bf16_supported(including_emulation=False))  # fmt: skip


@contextlib.contextmanager
def autocast(device: Any, hp: HParams) -> Iterator[None]:
    """bf16 autocast for forward passes where `bf16_autocast` (a no-op elsewhere): without it the LoRA, attention
    and head math stayed in fp32 (H200 profile), and activations take 23% less memory with it."""
    if not bf16_autocast(device, hp):
        yield
        return
    import torch

    with torch.autocast("cuda", dtype=torch.bfloat16):
        yield


@contextlib.contextmanager
def gpu_attention(device: Any) -> Iterator[None]:
    """On a GPU, scaled-dot-product attention without cuDNN's kernel (a no-op elsewhere). cuDNN builds an
    execution plan for each new shape, and packed rows change shape every step (H200, QLoRA of a 2.3B model,
    4 x 1024 tokens: 5,388 tokens/s with it, 7,212 without). Held for the whole step, backward included, so
    that checkpointed layers recompute with the kernel their forward used."""
    if torch_device_type(device) != "cuda":
        yield
        return
    from torch.nn.attention import SDPBackend, sdpa_kernel

    with sdpa_kernel([SDPBackend.FLASH_ATTENTION, SDPBackend.EFFICIENT_ATTENTION, SDPBackend.MATH]):
        yield


def evaluate_loss(
    objective: Any, examples: list[TrainExample], kind: str, pad_id: int, hp: HParams, device: Any
) -> dict[str, float]:
    """Token-weighted validation loss, overall and per task tag."""
    import torch

    sums: dict[str, list[float]] = {}
    was_training = objective.training
    objective.eval()
    with torch.no_grad(), gpu_attention(device), autocast(device, hp):
        by_task: dict[str, list[TrainExample]] = {}
        for e in examples:
            by_task.setdefault(e.task, []).append(e)
        for task, exs in by_task.items():
            for i in range(0, len(exs), hp.batch_size):
                batch = batch_tensors(exs[i : i + hp.batch_size], kind, pad_id, hp, device)
                loss, n = objective(**to_device(batch, device))
                s = sums.setdefault(task, [0.0, 0.0])
                s[0] += float(loss)
                s[1] += float(n)
    objective.train(was_training)
    out = {t: s[0] / max(s[1], 1) for t, s in sums.items()}
    out["all"] = sum(s[0] for s in sums.values()) / max(sum(s[1] for s in sums.values()), 1)
    return out


def fit(
    objective: Any,
    train_examples: list[TrainExample],
    hp: HParams,
    *,
    kind: str,
    pad_id: int,
    device: str,
    progress: StageProgress,
    val_examples: list[TrainExample] | None = None,
    store: CheckpointStore | None = None,
    resume: bool = False,
    stop: StopFlag | None = None,
    task_weights: dict[str, float] | None = None,
    on_eval: Callable[[int, float], bool] | None = None,
    on_step: Callable[[dict[str, Any]], None] | None = None,
    paged_optimizer: bool = False,
) -> FitResult:
    """Train `objective`'s trainable parameters in place. `on_eval(step, val_loss)` returning True prunes."""
    import torch
    from accelerate import Accelerator
    from accelerate.utils import DistributedType
    from transformers import get_linear_schedule_with_warmup

    acc = Accelerator(cpu=device == "cpu")
    world, rank = acc.num_processes, acc.process_index
    if acc.distributed_type not in (DistributedType.NO, DistributedType.MULTI_GPU, DistributedType.MULTI_CPU):
        raise ApplianceError(
            f"accelerate is configured for {acc.distributed_type.value}; the appliance trains with one process or "
            "DDP (accelerate launch --multi_gpu, or torchrun): choose DDP in `accelerate config`"
        )
    if device == "cuda":
        torch.cuda.reset_peak_memory_stats()
    stop = stop if stop is not None else StopFlag()
    micro = hp.batch_size
    global_size = micro * hp.grad_accum * world
    n_epoch_examples = len(epoch_order(train_examples, hp.seed, 0, "none", 1, task_weights))
    # With several processes a short last global batch would leave some rank without a micro-batch (its
    # collectives would then not match), so each epoch keeps whole global batches only.
    steps_per_epoch = math.ceil(n_epoch_examples / global_size) if world == 1 else n_epoch_examples // global_size
    if steps_per_epoch == 0:
        raise ApplianceError(f"{n_epoch_examples} training examples are fewer than one global batch of {global_size} "
                             f"(batch_size x grad_accum x {world} processes); lower batch_size or grad_accum")  # fmt: skip
    total_steps = hp.max_steps or steps_per_epoch * hp.epochs
    progress.total = total_steps
    # A search (on_eval) needs intermediate validation losses even when the config asks for none.
    eval_every = hp.eval_steps or (max(1, total_steps // 4) if on_eval is not None else None)

    params = [p for p in objective.parameters() if p.requires_grad]
    if not params:
        raise ApplianceError("nothing to train: every parameter is frozen (check method and trainable_layers)")
    on_gpu = torch_device_type(device) == "cuda"
    if paged_optimizer and on_gpu:  # optimizer state pages to host memory under GPU memory pressure
        import bitsandbytes as bnb

        opt = bnb.optim.PagedAdamW32bit(params, lr=hp.lr, weight_decay=hp.weight_decay)
    else:  # fused on a GPU: one launch for all tensors (bnb's paged step launched one per tensor)
        opt = torch.optim.AdamW(params, lr=hp.lr, weight_decay=hp.weight_decay, fused=on_gpu or None)
    sched = get_linear_schedule_with_warmup(opt, int(total_steps * hp.warmup_ratio), total_steps)
    names = {id(p): n for n, p in objective.named_parameters()}
    trainable_names = [names[id(p)] for p in params]
    model = acc.prepare_model(objective, device_placement=False)
    opt = acc.prepare_optimizer(opt, device_placement=False)

    res = FitResult(step=0, epoch=0, tokens=0, seconds=0.0)
    epoch, batch_in_epoch, best, bad_evals = 0, 0, math.inf, 0
    best_state: dict[str, Any] | None = None
    if resume and store is not None:
        loaded, res.skipped_checkpoints = store.latest(device)
        for note in res.skipped_checkpoints:
            progress.warn(f"checkpoint {note}; using an earlier one")
        if loaded is None:
            raise ApplianceError(f"no usable checkpoint in {store.root}; start a new run instead of resuming")
        own = dict(objective.named_parameters())
        with torch.no_grad():
            for n in trainable_names:
                own[n].copy_(loaded.trainable[n])
        opt.load_state_dict(loaded.optimizer)
        sched.load_state_dict(loaded.scheduler)
        torch.set_rng_state(loaded.rng["torch"])
        if "cuda" in loaded.rng and torch.cuda.is_available():
            torch.cuda.set_rng_state_all(loaded.rng["cuda"])
        st = loaded.state
        res.step, epoch, batch_in_epoch = st["step"], st["epoch"], st["batch_in_epoch"]
        res.tokens, res.history, res.evals = st["tokens"], st["history"], st["evals"]
        best = st["best_val_loss"] if st["best_val_loss"] is not None else math.inf
        bad_evals, res.resumed_from, res.seconds = st["bad_evals"], st["step"], st.get("seconds", 0.0)
        progress.resume_at(res.step)
        progress.info(f"resumed from checkpoint {loaded.path.name}", step=res.step)

    def checkpoint() -> None:
        if store is None:
            return
        if rank == 0:
            own = dict(objective.named_parameters())
            state = {"epoch": epoch, "batch_in_epoch": batch_in_epoch, "tokens": res.tokens,
                     "history": res.history, "evals": res.evals,
                     "best_val_loss": None if best == math.inf else best, "bad_evals": bad_evals,
                     "seconds": res.seconds + time.monotonic() - t0}  # fmt: skip
            store.save(res.step, {n: own[n] for n in trainable_names}, opt, sched, state)
        acc.wait_for_everyone()

    def run_eval() -> bool:
        """Validation loss; True when training should stop (early stopping or pruning)."""
        nonlocal best, bad_evals, best_state
        if not val_examples:
            return False
        losses = evaluate_loss(model, val_examples, kind, pad_id, hp, acc.device)
        res.evals.append({"step": res.step, "val_loss": round(losses["all"], 5),
                          **{f"val_loss.{t}": round(v, 5) for t, v in losses.items() if t != "all"}})  # fmt: skip
        progress.info("validation", step=res.step, val_loss=losses["all"])
        if losses["all"] < best - 1e-6:
            best, bad_evals = losses["all"], 0
            if hp.early_stopping_patience:
                own = dict(objective.named_parameters())
                best_state = {n: own[n].detach().to("cpu", copy=True) for n in trainable_names}
        else:
            bad_evals += 1
        if on_eval is not None and on_eval(res.step, losses["all"]):
            res.pruned = True
            return True
        if hp.early_stopping_patience and bad_evals >= hp.early_stopping_patience:
            res.stopped_early = True
            return True
        return False

    split = 1
    t0 = time.monotonic()
    model.train()
    finished = res.step >= total_steps
    with stop:
        while not finished:
            batches = global_batches(
                epoch_order(train_examples, hp.seed, epoch, hp.packing, global_size, task_weights), global_size
            )[:steps_per_epoch]
            while batch_in_epoch < len(batches) and not finished:
                gb = batches[batch_in_epoch]
                counts = sum(train_examples[j].target_tokens for j in gb)
                slots = micro_slices(gb, micro, world, rank)
                while True:  # one optimizer step; repeated with smaller micro-batches after a GPU OOM
                    try:
                        loss_sum, step_tokens = 0.0, 0
                        pieces = [s[k : k + math.ceil(len(s) / split)] for s in slots
                                  for k in range(0, len(s), math.ceil(len(s) / split))]  # fmt: skip
                        for i, piece in enumerate(pieces):
                            exs = [train_examples[j] for j in piece]
                            batch = to_device(batch_tensors(exs, kind, pad_id, hp, acc.device), acc.device)
                            ctx = acc.no_sync(model) if i < len(pieces) - 1 else contextlib.nullcontext()
                            with ctx, gpu_attention(device):
                                with autocast(device, hp):
                                    loss, _n = model(**batch)
                                acc.backward(loss * world / max(counts, 1))
                            loss_sum += float(loss.detach())
                            step_tokens += real_tokens(exs)
                        break
                    except Exception as exc:  # noqa: BLE001
                        if not (hp.auto_batch_size and _is_oom(exc)):
                            raise
                        opt.zero_grad(set_to_none=True)
                        if torch.cuda.is_available():
                            torch.cuda.empty_cache()
                        if split >= micro:
                            raise ApplianceError(
                                "out of GPU memory even with one example per micro-batch: lower seq_len, "
                                "turn on gradient_checkpointing, or use method qlora"
                            ) from exc
                        split *= 2
                        progress.warn(f"GPU out of memory: splitting each micro-batch in {split} and retrying")
                acc.clip_grad_norm_(params, hp.max_grad_norm)
                opt.step()
                sched.step()
                opt.zero_grad(set_to_none=True)
                res.step += 1
                batch_in_epoch += 1
                if world > 1:
                    loss_sum = float(acc.reduce(torch.tensor([loss_sum], device=acc.device), "sum")[0])
                    step_tokens = int(acc.reduce(torch.tensor([step_tokens], device=acc.device), "sum")[0])
                res.tokens += step_tokens
                elapsed = res.seconds + (time.monotonic() - t0)
                rec = {"step": res.step, "epoch": epoch + batch_in_epoch / len(batches),
                       "loss": round(loss_sum / max(counts, 1), 5), "lr": sched.get_last_lr()[0],
                       "tokens": res.tokens, "tokens_per_s": round(res.tokens / max(elapsed, 1e-9), 1),
                       "memory_mb": round(peak_memory_mb(device), 1)}  # fmt: skip
                res.history.append(rec)
                if on_step is not None:
                    on_step(rec)
                progress.advance(loss=rec["loss"], lr=rec["lr"], tok_s=rec["tokens_per_s"], epoch=rec["epoch"],
                                 memory_mb=rec["memory_mb"])  # fmt: skip
                finished = res.step >= total_steps
                if eval_every and res.step % eval_every == 0 and not finished and run_eval():
                    finished = True
                    break
                # A stop on any process stops every process at this same step (one small all-reduce per step).
                stop_now = bool(stop) and not finished
                if world > 1:
                    if stop_now:
                        acc.set_trigger()
                    stop_now = acc.check_trigger() and not finished
                if stop_now:
                    checkpoint()
                    raise TrainingInterrupted(
                        f"training stopped ({stop.reason or 'another process was stopped'}) at step {res.step} of "
                        f"{total_steps}; a checkpoint was saved"
                    )
                if hp.save_steps and res.step % hp.save_steps == 0 and not finished:
                    checkpoint()
            if batch_in_epoch >= len(batches):
                epoch, batch_in_epoch = epoch + 1, 0
    if not (res.pruned or res.stopped_early) and val_examples:
        run_eval()
    if best_state is not None and res.stopped_early:
        own = dict(objective.named_parameters())
        with torch.no_grad():
            for n, v in best_state.items():
                own[n].copy_(v)
        res.restored_best = True
        progress.info("early stopping: kept the weights with the best validation loss", val_loss=best)
    res.epoch = epoch
    res.best_val_loss = None if best == math.inf else best
    res.seconds += time.monotonic() - t0
    res.peak_memory_mb = peak_memory_mb(device)
    res.micro_split = split
    model.eval()
    return res

