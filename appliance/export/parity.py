"""Parity of an exported variant against the merged PyTorch model, on real prompts from the run's own data.

Prefill logits (one by one and as one right-padded batch), one decode step fed with the exported KV cache,
greedy agreement over N new tokens, and perplexity on held-out records.
"""

from __future__ import annotations

import math
from typing import Any

from appliance.data import IGNORE_INDEX, EncodedExample

THRESHOLDS = {
    # fp32 must match numerically (measured on SmolLM2: 7e-4 on 130-token prompts, logits of magnitude ~20;
    # 6e-5 for a KV-cached decode step); fp16/int4 are judged by perplexity. Greedy agreement is reported for
    # all; for int4 a near-tie first token flips the whole continuation, so it is not a gate.
    "fp32": {"max_abs_prefill": 1e-3, "max_abs_decode": 1e-3, "min_greedy_agreement": 1.0, "max_ppl_delta": 0.001},
    "fp16": {"min_greedy_agreement": 0.5, "max_ppl_delta": 0.01},
    "int4": {"min_greedy_agreement": 0.0, "max_ppl_delta": 0.05},
}  # fmt: skip


def torch_logits(model: Any, ids: Any, mask: Any) -> Any:
    import torch

    with torch.no_grad():
        return model(input_ids=torch.tensor(ids), attention_mask=torch.tensor(mask)).logits.float().numpy()


def _memo(model: Any, key: Any, compute: Any) -> Any:
    """PyTorch reference results are the same for every exported precision: compute them once per model."""
    cache = model.__dict__.setdefault("_appliance_parity_cache", {})
    if key not in cache:
        cache[key] = compute()
    return cache[key]


def torch_greedy(model: Any, prompt_ids: list[int], n: int, eos: tuple[int, ...]) -> list[int]:
    import torch

    ids = torch.tensor([prompt_ids])
    with torch.no_grad():
        out = model.generate(ids, attention_mask=torch.ones_like(ids), max_new_tokens=n, do_sample=False,
                             eos_token_id=list(eos), pad_token_id=eos[0])  # fmt: skip
    new = out[0, len(prompt_ids) :].tolist()
    for i, t in enumerate(new):
        if t in eos:
            return new[:i]
    return new


def _agreement(a: list[int], b: list[int]) -> float:
    if not a and not b:
        return 1.0
    same = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        same += 1
    return same / max(len(a), len(b))


def response_ppl(logits_fn: Any, examples: list[EncodedExample]) -> float:
    """Perplexity over response tokens, one example at a time (no padding involved)."""
    import numpy as np

    total, count = 0.0, 0
    for ex in examples:
        ids = np.array([ex.input_ids], dtype=np.int64)
        logits = logits_fn(ids, np.ones_like(ids))[0, :-1].astype(np.float64)
        labels = np.array(ex.labels[1:])
        keep = labels != IGNORE_INDEX
        lg = logits[keep]
        lse = np.log(np.exp(lg - lg.max(-1, keepdims=True)).sum(-1)) + lg.max(-1)
        total += float((lse - lg[np.arange(len(lg)), labels[keep]]).sum())
        count += int(keep.sum())
    return math.exp(total / max(count, 1))


def check_variant(
    precision: str,
    decoder: Any,
    model: Any,
    tokenizer: Any,
    prompts: list[str],
    examples: list[EncodedExample],
    new_tokens: int,
) -> dict[str, Any]:
    import numpy as np

    prompt_ids = [tokenizer(p, add_special_tokens=False)["input_ids"] for p in prompts]
    max_prefill = max_decode = 0.0
    agreements = []
    for ids in prompt_ids:
        arr = np.array([ids], dtype=np.int64)
        mask = np.ones_like(arr)
        got, cache = decoder.forward(arr, mask)
        ref = torch_logits(model, arr, mask)
        max_prefill = max(max_prefill, float(np.abs(got - ref).max()))
        nxt = int(ref[0, -1].argmax())
        step, _ = decoder.forward(np.array([[nxt]]), np.ones((1, arr.shape[1] + 1), dtype=np.int64), cache)
        ref2 = torch_logits(model, np.array([[*ids, nxt]]), np.ones((1, arr.shape[1] + 1), dtype=np.int64))
        max_decode = max(max_decode, float(np.abs(step[0, -1] - ref2[0, -1]).max()))
        ort_tokens = decoder.generate_ids(ids, new_tokens)
        pt_tokens = _memo(
            model,
            ("greedy", tuple(ids), new_tokens),
            lambda ids=ids: torch_greedy(model, ids, new_tokens, decoder.spec.eos),
        )
        agreements.append(_agreement(ort_tokens, pt_tokens))
    # One right-padded batch: padding must not change the real positions' logits.
    width = max(len(i) for i in prompt_ids)
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else decoder.spec.eos[0]
    batch = np.full((len(prompt_ids), width), pad, dtype=np.int64)
    bmask = np.zeros_like(batch)
    for r, ids in enumerate(prompt_ids):
        batch[r, : len(ids)], bmask[r, : len(ids)] = ids, 1
    got, _ = decoder.forward(batch, bmask)
    ref = torch_logits(model, batch, bmask)
    padded = float(np.abs(got - ref)[bmask.astype(bool)].max())
    ppl_ref = _memo(
        model,
        ("ppl", tuple(tuple(e.input_ids) for e in examples)),
        lambda: response_ppl(lambda i, m: torch_logits(model, i, m), examples),
    )
    ppl_onnx = response_ppl(lambda i, m: decoder.forward(i, m)[0], examples)
    result = {
        "precision": precision,
        "provider": decoder.provider,
        "prompts": len(prompts),
        "max_abs_prefill": max(max_prefill, padded),
        "max_abs_prefill_padded_batch": padded,
        "max_abs_decode": max_decode,
        "greedy_new_tokens": new_tokens,
        "greedy_agreement": min(agreements),
        "greedy_agreement_mean": sum(agreements) / len(agreements),
        "perplexity_torch_fp32": ppl_ref,
        "perplexity_onnx": ppl_onnx,
        "ppl_delta": ppl_onnx / ppl_ref - 1,
        "ppl_records": len(examples),
    }
    result["thresholds"] = THRESHOLDS[precision]
    result["passed"] = passes(result)
    return result


def passes(r: dict[str, Any]) -> bool:
    t = r["thresholds"]
    ok = r["greedy_agreement"] >= t["min_greedy_agreement"] and abs(r["ppl_delta"]) <= t["max_ppl_delta"]
    if "max_abs_prefill" in t:
        ok = (
            ok and r["max_abs_prefill"] <= t["max_abs_prefill"] and r["max_abs_decode"] <= t["max_abs_decode"]
        )
    return bool(ok)
