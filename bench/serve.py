"""Decode speed of the exported variants (onnxruntime, KV cache) against HF `generate` on the same model.

Prints JSON: decode tokens/s for HF fp32 and each ONNX variant, the ratio to HF, weight bytes read per token,
the machine's measured memory read bandwidth and the fraction of it each achieves, and each variant's
perplexity (from its parity record). Run after `appliance demo`:
  .venv/bin/python bench/serve.py --workspace workspace [--export ID] [--tokens 64]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("APPLIANCE_PASSPHRASE", "appliance-demo")

from appliance.offline import enforce_offline  # noqa: E402

enforce_offline()

PROMPTS = [
    "Summarize this note: patient with type 2 diabetes on metformin 500 mg twice daily, HbA1c 7.4%.",
    "List the medications: lisinopril 10 mg daily and atorvastatin 20 mg nightly.",
    "What follow-up is needed for asthma on albuterol as needed?",
]


def read_bandwidth_gbs(size_mb: int = 512, repeats: int = 5) -> float:
    import numpy as np

    a = np.ones(size_mb * 2**20 // 8, dtype=np.float64)
    best = float("inf")
    for _ in range(repeats):
        t = time.perf_counter()
        a.sum()  # streams the whole array through the CPU once
        best = min(best, time.perf_counter() - t)
    return a.nbytes / best / 1e9


def hf_decode_tps(model, tok, prompt_ids: list[list[int]], n: int) -> float:  # noqa: ANN001
    import torch

    total_t, total_n = 0.0, 0
    for ids in prompt_ids:
        x = torch.tensor([ids])
        kw = dict(attention_mask=torch.ones_like(x), do_sample=False, pad_token_id=tok.eos_token_id)
        with torch.no_grad():
            t = time.perf_counter()
            model.generate(x, max_new_tokens=1, min_new_tokens=1, **kw)
            t1 = time.perf_counter() - t  # prefill + first token
            t = time.perf_counter()
            model.generate(x, max_new_tokens=n, min_new_tokens=n, **kw)
            tn = time.perf_counter() - t
        total_t += tn - t1
        total_n += n - 1
    return total_n / total_t


def onnx_decode_tps(decoder, prompt_ids: list[list[int]], n: int) -> float:  # noqa: ANN001
    import numpy as np

    total_t, total_n = 0.0, 0
    for ids in prompt_ids:
        arr = np.array([ids], dtype=np.int64)
        logits, cache = decoder.forward(arr, np.ones_like(arr))
        length = arr.shape[1]
        t = time.perf_counter()
        for _ in range(n):
            length += 1
            nxt = int(logits[0, -1].argmax())
            logits, cache = decoder.forward(np.array([[nxt]]), np.ones((1, length), dtype=np.int64), cache)
        total_t += time.perf_counter() - t
        total_n += n
    return total_n / total_t


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--workspace", default=os.environ.get("APPLIANCE_HOME", "workspace"))
    ap.add_argument("--export", default=None)
    ap.add_argument("--tokens", type=int, default=64)
    args = ap.parse_args()
    import torch
    from transformers import AutoTokenizer

    from appliance.serve import OnnxDecoder
    from appliance.train import merged_model
    from appliance.workspace import Workspace

    torch.set_num_threads(os.cpu_count() or 1)
    ws = Workspace.open(args.workspace)
    exp = ws.get("export", args.export) if args.export else ws.list("export")[-1]
    run = ws.get("run", exp.manifest["summary"]["run"])
    base = ws.get("model", run.manifest["config"]["base_model"])
    tok = AutoTokenizer.from_pretrained(str(base.path))
    prompt_ids = [
        tok(tok.apply_chat_template([{"role": "user", "content": p}], tokenize=False, add_generation_prompt=True),
            add_special_tokens=False)["input_ids"]
        for p in PROMPTS
    ]  # fmt: skip
    merged = merged_model(ws, run)
    hf_bytes = sum(p.numel() * p.element_size() for p in merged.parameters())
    bandwidth = read_bandwidth_gbs()
    hf = hf_decode_tps(merged, tok, prompt_ids, args.tokens)
    result = {
        "export": exp.id,
        "new_tokens": args.tokens,
        "memory_read_bandwidth_gbs": round(bandwidth, 2),
        "hf_fp32": {
            "decode_tokens_per_s": round(hf, 1),
            "weight_bytes_per_token": hf_bytes,
            "bandwidth_fraction": round(hf * hf_bytes / 1e9 / bandwidth, 3),
        },  # fmt: skip
    }
    for variant in sorted(p.name for p in exp.path.iterdir() if (p / "genai_config.json").is_file()):
        vdir = exp.path / variant
        parity = json.loads((vdir / "parity.json").read_text())
        if parity.get("skipped"):
            result[variant] = {"skipped": parity["skipped"]}
            continue
        dec = OnnxDecoder(vdir)
        tps = onnx_decode_tps(dec, prompt_ids, args.tokens)
        weight_bytes = sum(f.stat().st_size for f in vdir.glob("model.onnx*"))
        result[variant] = {
            "provider": dec.provider,
            "decode_tokens_per_s": round(tps, 1),
            "vs_hf_fp32": round(tps / hf, 2),
            "weight_bytes_per_token": weight_bytes,
            "bandwidth_fraction": round(tps * weight_bytes / 1e9 / bandwidth, 3),
            "perplexity": round(parity["perplexity_onnx"], 4),
            "perplexity_vs_torch_fp32": f"{parity['ppl_delta']:+.2%}",
        }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
