"""Run a training config file: `python -m training.run_config CONFIG.json` (what the recipes and loop use)."""
from __future__ import annotations

import json
import sys

from training.evaluate import load_qalb14_dev
from training.trainer import TrainConfig, Trainer


def main(path: str, data_root: str = "../shared/data") -> None:
    with open(path, encoding="utf-8") as handle:
        config = TrainConfig.from_dict(json.load(handle)["train"])
    dev = load_qalb14_dev(data_root, config.eval_docs)
    state = Trainer(config, dev=dev).train()
    print(f"finished at step {state['step']}; best dev F0.5 {state['best']:.4f}")


if __name__ == "__main__":
    main(*sys.argv[1:])
