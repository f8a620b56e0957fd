"""Run by tests/test_train_ddp.py under `accelerate launch` (and once alone): QLoRA on the tiny model with
the appliance engine; each process saves its final trainable tensors for comparison."""

import json
import sys
from pathlib import Path


def main(model_dir: str, records_file: str, out_dir: str, batch_size: int, grad_accum: int) -> None:
    import torch
    from accelerate import PartialState
    from safetensors.torch import save_file
    from transformers import AutoTokenizer

    from appliance.config import TrainSection
    from appliance.events import NullSink, StageProgress
    from appliance.offline import enforce_offline
    from appliance.train.batching import encode_records
    from appliance.train.engine import fit
    from appliance.train.run import build_model

    enforce_offline(guard_sockets=False)  # gloo rendezvous uses loopback TCP
    state = PartialState(cpu=True)
    cfg = TrainSection.model_validate({
        "method": "qlora", "lora": {"r": 8, "alpha": 16, "dropout": 0.0},
        "hparams": {"lr": 5e-3, "max_steps": 4, "batch_size": batch_size, "grad_accum": grad_accum,
                    "seq_len": 128, "warmup_ratio": 0.0, "save_steps": 0},
    })  # fmt: skip
    tok = AutoTokenizer.from_pretrained(model_dir)
    records = [json.loads(line) for line in Path(records_file).read_text().splitlines()]
    exs, _ = encode_records(tok, records, "instruction", 128, None)
    torch.manual_seed(0)
    _, _, objective = build_model(Path(model_dir), cfg, "cpu", None)
    res = fit(objective, exs, cfg.hparams, kind="lm", pad_id=tok.pad_token_id, device="cpu",
              progress=StageProgress(NullSink(), "train", None))  # fmt: skip
    trained = {n: p.detach().contiguous() for n, p in objective.named_parameters() if p.requires_grad}
    rank = state.process_index
    save_file(trained, str(Path(out_dir) / f"rank{rank}-of{state.num_processes}.safetensors"))
    (Path(out_dir) / f"rank{rank}-of{state.num_processes}.json").write_text(
        json.dumps({"steps": res.step, "tokens": res.tokens, "history": res.history})
    )


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]))
