"""Batched generation and sequence scoring with a (peft) causal LM, left-padded, KV cache on."""

from __future__ import annotations

from typing import Any

# One implementation of the response-token loss, shared with training (re-exported for evaluate).
from appliance.train import example_losses, pooled_loss  # noqa: F401


def generate(
    model: Any,
    tokenizer: Any,
    prompts: list[str],
    max_new_tokens: int,
    device: str,
    batch_size: int = 8,
    sample: bool = False,
    temperature: float = 0.8,
    top_p: float = 0.95,
    seed: int = 0,
    max_prompt_tokens: int | None = None,
) -> list[tuple[str, int]]:
    """(text, number of generated tokens before EOS) per prompt. Greedy unless `sample` (seeded).
    Prompts longer than `max_prompt_tokens` keep their last tokens (few-shot prompts lose shots first)."""
    import torch

    pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
    eos = tokenizer.eos_token_id
    out: list[tuple[str, int]] = []
    model.eval()
    gen = torch.Generator().manual_seed(seed)
    for i in range(0, len(prompts), batch_size):
        chunk = [tokenizer(p, add_special_tokens=False)["input_ids"] for p in prompts[i : i + batch_size]]
        if max_prompt_tokens:
            chunk = [c[-max_prompt_tokens:] for c in chunk]
        width = max(len(c) for c in chunk)
        ids = torch.full((len(chunk), width), pad_id, dtype=torch.long)
        mask = torch.zeros((len(chunk), width), dtype=torch.long)
        for j, c in enumerate(chunk):
            ids[j, width - len(c) :] = torch.tensor(c)
            mask[j, width - len(c) :] = 1
        kwargs: dict[str, Any] = {"do_sample": False}
        if sample:
            torch.manual_seed(int(torch.randint(0, 2**31 - 1, (1,), generator=gen)))
            kwargs = {"do_sample": True, "temperature": temperature, "top_p": top_p, "top_k": 0}
        with torch.no_grad():
            res = model.generate(
                input_ids=ids.to(device),
                attention_mask=mask.to(device),
                max_new_tokens=max_new_tokens,
                pad_token_id=pad_id,
                eos_token_id=eos,
                use_cache=True,
                **kwargs,
            )
        for row in res[:, width:].tolist():
            n = next((k for k, t in enumerate(row) if t == eos), len(row))
            out.append((tokenizer.decode(row[:n], skip_special_tokens=True), n))
    return out


def continuation_logprobs(
    model: Any, tokenizer: Any, prefix: str, continuations: list[str], device: str, batch_size: int = 32
) -> list[float]:
    """log P(continuation | prefix) for each continuation (summed over its tokens), comparable across them.

    Each full text is tokenized whole; the tokens shared by every candidate's tokenization are the common
    context. The context runs once (KV cache), then every candidate's remaining tokens are scored against a
    copy of that cache, so ranking many candidates costs little more than their own tokens.
    """
    import copy

    import torch

    pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
    seqs, common = _split_at_prefix(tokenizer, prefix, continuations)
    scores: list[float] = []
    model.eval()
    with torch.no_grad():
        ctx = torch.tensor([seqs[0][:common]], device=device)
        out = model(input_ids=ctx, attention_mask=torch.ones_like(ctx), use_cache=True)
        first = torch.log_softmax(out.logits[0, -1].float(), dim=-1).cpu()
        ctx_cache = getattr(out, "cache", None) or out.past_key_values
        for i in range(0, len(seqs), batch_size):
            tails = [s[common:] for s in seqs[i : i + batch_size]]
            width = max(len(t) for t in tails)
            ids = torch.full((len(tails), width), pad_id, dtype=torch.long)
            mask = torch.ones((len(tails), common + width), dtype=torch.long)
            for j, t in enumerate(tails):
                ids[j, : len(t)] = torch.tensor(t)
                mask[j, common + len(t) :] = 0
            past = copy.deepcopy(ctx_cache)
            past.batch_repeat_interleave(len(tails))
            logits = model(
                input_ids=ids.to(device), attention_mask=mask.to(device), cache=past, use_cache=True
            ).logits.float()
            logp = torch.log_softmax(logits, dim=-1).cpu()
            for j, t in enumerate(tails):
                total = float(first[t[0]])
                if len(t) > 1:
                    total += float(logp[j, torch.arange(len(t) - 1), torch.tensor(t[1:])].sum())
                scores.append(total)
    return scores


def continuation_logprobs_full(
    model: Any, tokenizer: Any, prefix: str, continuations: list[str], device: str
) -> list[float]:
    """Reference implementation without the cache (tests compare the two)."""
    import torch

    seqs, common = _split_at_prefix(tokenizer, prefix, continuations)
    out = []
    with torch.no_grad():
        for s in seqs:
            logp = torch.log_softmax(
                model(input_ids=torch.tensor([s], device=device)).logits[0].float(), -1
            ).cpu()
            out.append(float(sum(logp[p - 1, s[p]] for p in range(common, len(s)))))
    return out


# ---- shared-prefix batches (few-shot prompts share system prompt + shots: run them once, KV-cached)


def _split_at_prefix(tokenizer: Any, prefix: str, continuations: list[str]) -> tuple[list[list[int]], int]:
    """Token ids of prefix+continuation each, and how many leading tokens all of them share (at least 1, and
    at least one token of every continuation left over: tokenizers may merge across the boundary)."""
    seqs = [tokenizer(prefix + c, add_special_tokens=False)["input_ids"] for c in continuations]
    common = len(tokenizer(prefix, add_special_tokens=False)["input_ids"])
    common = min(common, shared_prefix_length(seqs))
    return seqs, max(1, min(common, min(len(s) for s in seqs) - 1))


def shared_prefix_length(seqs: list[list[int]]) -> int:
    if not seqs:
        return 0
    n = min(len(s) for s in seqs)
    first = seqs[0]
    k = 0
    while k < n and all(s[k] == first[k] for s in seqs):
        k += 1
    return k


def _tail_batch(
    model: Any, cache0: Any, plen: int, tails: list[list[int]], pad_id: int, device: str
) -> tuple:
    """Forward right-padded `tails` after a copy of the prefix cache; returns (output, mask, lengths)."""
    import copy

    import torch

    width = max(len(t) for t in tails)
    ids = torch.full((len(tails), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(tails), plen + width), dtype=torch.long)
    mask[:, :plen] = 1
    for j, t in enumerate(tails):
        ids[j, : len(t)] = torch.tensor(t)
        mask[j, plen : plen + len(t)] = 1
    pos = (plen + torch.arange(width)).unsqueeze(0).expand(len(tails), -1)
    cache = copy.deepcopy(cache0)
    cache.batch_repeat_interleave(len(tails))
    out = model(input_ids=ids.to(device), attention_mask=mask.to(device), position_ids=pos.to(device), cache=cache,
                use_cache=True)  # fmt: skip
    return out, mask, torch.tensor([len(t) for t in tails])


def _prefix_cache(model: Any, prefix: list[int], device: str) -> tuple[Any, Any]:
    import torch

    ctx = torch.tensor([prefix], device=device)
    out = model(input_ids=ctx, attention_mask=torch.ones_like(ctx), use_cache=True)
    return (getattr(out, "cache", None) or out.past_key_values), out.logits[0, -1].float()


def prefix_example_losses(
    model: Any, examples: list[Any], pad_id: int, batch_size: int, device: str
) -> list[tuple[float, int]]:
    """`example_losses` for examples that share a long token prefix (few-shot shots): the prefix runs once."""
    import torch

    from appliance.data import IGNORE_INDEX

    first_target = min(next(i for i, t in enumerate(e.labels) if t != IGNORE_INDEX) for e in examples)
    plen = min(shared_prefix_length([e.input_ids for e in examples]), first_target)
    if plen < 2:
        return example_losses(model, examples, pad_id, batch_size, device)
    out_parts: list[tuple[float, int]] = []
    model.eval()
    with torch.no_grad():
        cache0, _ = _prefix_cache(model, examples[0].input_ids[:plen], device)
        for i in range(0, len(examples), batch_size):
            chunk = examples[i : i + batch_size]
            out, _mask, _lens = _tail_batch(
                model, cache0, plen, [e.input_ids[plen:] for e in chunk], pad_id, device
            )
            logp = torch.log_softmax(out.logits.float(), dim=-1).cpu()
            for j, e in enumerate(chunk):
                tail_ids, tail_lab = e.input_ids[plen:], e.labels[plen:]
                total, count = 0.0, 0
                for p in range(1, len(tail_ids)):
                    if tail_lab[p] != IGNORE_INDEX:
                        total -= float(logp[j, p - 1, tail_ids[p]])
                        count += 1
                out_parts.append((total, count))
    return out_parts


def generate_shared_prefix(
    model: Any, tokenizer: Any, prompts: list[str], max_new_tokens: int, device: str, batch_size: int = 8
) -> list[tuple[str, int]]:
    """Greedy generation for prompts sharing a long prefix: the prefix is computed once and reused."""
    import torch

    pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
    eos = tokenizer.eos_token_id
    seqs = [tokenizer(p, add_special_tokens=False)["input_ids"] for p in prompts]
    plen = min(shared_prefix_length(seqs), min(len(s) for s in seqs) - 1)
    if plen < 2:
        return generate(model, tokenizer, prompts, max_new_tokens, device, batch_size)
    results: list[tuple[str, int]] = []
    model.eval()
    with torch.no_grad():
        cache0, _ = _prefix_cache(model, seqs[0][:plen], device)
        for i in range(0, len(seqs), batch_size):
            tails = [s[plen:] for s in seqs[i : i + batch_size]]
            out, mask, lens = _tail_batch(model, cache0, plen, tails, pad_id, device)
            rows = torch.arange(len(tails))
            nxt = out.logits[rows, lens - 1].argmax(-1).cpu()
            cache = getattr(out, "cache", None) or out.past_key_values
            pos = plen + lens
            gen: list[list[int]] = [[] for _ in tails]
            done = torch.zeros(len(tails), dtype=torch.bool)
            for step in range(max_new_tokens):
                for j in range(len(tails)):
                    if not done[j]:
                        if int(nxt[j]) == eos:
                            done[j] = True
                        else:
                            gen[j].append(int(nxt[j]))
                if bool(done.all()) or step == max_new_tokens - 1:
                    break
                mask = torch.cat([mask, torch.ones((len(tails), 1), dtype=torch.long)], dim=1)
                out = model(input_ids=nxt.unsqueeze(1).to(device), attention_mask=mask.to(device),
                            position_ids=pos.unsqueeze(1).to(device), cache=cache, use_cache=True)  # fmt: skip
                cache = getattr(out, "cache", None) or out.past_key_values
                pos = pos + 1
                nxt = out.logits[:, -1].argmax(-1).cpu()
            results += [(tokenizer.decode(g, skip_special_tokens=True), len(g)) for g in gen]
    return results
