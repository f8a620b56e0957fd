"""Run by tests/test_train_signals.py in a subprocess: one workspace training run that can be signalled."""

import json
import sys
from pathlib import Path


def main(ws_dir: str, dataset_id: str, model_id: str, cfg_json: str, resume: str | None) -> None:
    from appliance.config import TrainSection
    from appliance.errors import ApplianceError
    from appliance.offline import enforce_offline
    from appliance.train import train
    from appliance.workspace import Workspace

    enforce_offline()
    ws = Workspace.open(Path(ws_dir))
    cfg = TrainSection.model_validate(json.loads(cfg_json))
    try:
        run = train(ws, ws.get("dataset", dataset_id), ws.get("model", model_id), cfg, resume=resume)
    except ApplianceError as e:
        print(f"error: {e}", flush=True)
        sys.exit(1)
    print(f"done {run.id}", flush=True)


if __name__ == "__main__":
    main(*sys.argv[1:5], sys.argv[5] if len(sys.argv) > 5 else None)
