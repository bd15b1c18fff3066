"""Training data: readers for the GEC corpora, segment alignment, error statistics, synthetic errors
and the mixing step that writes `train.jsonl` / `dev.jsonl` / `manifest.json`.

Nothing here imports torch; the whole package runs with the core dependencies only.
"""
