"""The inference engine: `Corrector.from_dir(path).correct_batch(texts)` → `Correction`s in input order.

Modules: `sessions` (ONNX Runtime, provider and threads), `search` (greedy and beam search on ids),
`mapping` (model text ↔ user text), `guard` (drift checks), `cache` (LRU of decoded segments),
`stages` (the lexicon, spacing and punctuation stages after the model, in their one order), `corrector`
(the pipeline). Importing this package does not load onnxruntime; creating a Corrector does.
"""
from nahawi.engine.corrector import Corrector, CorrectorOptions, EngineInfo
from nahawi.engine.guard import GuardConfig

__all__ = ["Corrector", "CorrectorOptions", "EngineInfo", "GuardConfig"]
