"""ONNX export of trained models (needs the `train` extra: torch, onnx, onnxscript).

`exporter.export_model(ExportRequest(...))` is the guarded pipeline behind `nahawi export`: checkpoint
(+ LoRA) → merged model → `onnx_graphs` (encoder/decoder graphs, fixed I/O names) → `verify` (checker,
torch ≡ ONNX, greedy parity, variants vs fp32) → `quantize` (fp16, int8) → a model directory that
`nahawi.model_dir` reads. `fixtures.build_tiny_model_dir` makes a real tiny one for tests.
"""
