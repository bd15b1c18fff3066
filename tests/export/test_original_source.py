"""Original checkpoints read their source as they were trained (issue 15): the original scripts encode
`[2] + sp.EncodeAsIds(text)[:254] + [3]` (bos + pieces + eos), ours pieces + eos. The exporter records the
convention in model.json (tokenizer.source_bos), and `nahawi correct` and the naive decoder feed it."""
import json
from pathlib import Path

import numpy as np
import torch
from typer.testing import CliRunner

from export.exporter import ExportRequest, export_model
from nahawi.bench.speed import naive_greedy
from nahawi.cli import app
from nahawi.engine import Corrector, CorrectorOptions
from nahawi.engine import corrector as corrector_module
from nahawi.engine.corrector import DEFAULT_MODEL_DIR
from nahawi.engine.mapping import model_input
from nahawi.model_dir import load_model_info
from training.checkpoint import load_model
from training.config import PRESETS, load_model_config

TEST = PRESETS["test"]
ORIGINAL_CONFIG = {"vocab_size": TEST.vocab_size, "d_model": TEST.d_model, "nhead": TEST.nhead,
                   "num_encoder_layers": TEST.num_encoder_layers, "num_decoder_layers": TEST.num_decoder_layers,
                   "dim_feedforward": TEST.dim_feedforward, "dropout": 0.0, "max_seq_len": TEST.max_seq_len}
BOS, EOS, PAD = 2, 3, 0


def _sample_lines(count: int = 6) -> list[str]:
    lines = (DEFAULT_MODEL_DIR.parent / "sample.txt").read_text(encoding="utf-8").splitlines()
    return [line for line in lines if line.strip()][:count]


def original_greedy(module, source: list[int], steps: int) -> list[int]:
    """The original scripts' greedy loop on one unpadded source (their layout), the whole prefix through
    the decoder each step; pad and bos are never chosen (as every decoder of the project)."""
    out = [BOS]
    with torch.no_grad():
        for _ in range(steps):
            logits = module(torch.tensor([source]), torch.tensor([out]))[0, -1]
            logits[[PAD, BOS]] = -float("inf")
            token = int(logits.argmax())
            out.append(token)
            if token == EOS:
                break
    return out[1:]


def _export_original(original_layout, tiny_sources, tmp_path: Path) -> tuple[object, Path]:
    torch.manual_seed(11)
    original = original_layout.Orig(**{k: v for k, v in ORIGINAL_CONFIG.items()}).eval()
    checkpoint, config = tmp_path / "original.pt", tmp_path / "config.json"
    torch.save(original.state_dict(), checkpoint)
    config.write_text(json.dumps(ORIGINAL_CONFIG), encoding="utf-8")
    out = tmp_path / "model"
    export_model(ExportRequest(checkpoint, out, config=config, tokenizer=tiny_sources.tokenizer))
    return original, out


def test_original_checkpoint_decodes_through_nahawi_correct_as_the_original(original_layout, tiny_sources,
                                                                          tiny_tokenizer, tmp_path, monkeypatch):
    original, out = _export_original(original_layout, tiny_sources, tmp_path)
    assert load_model_info(out).source_bos is True
    assert json.loads((out / "model.json").read_text(encoding="utf-8"))["tokenizer"]["source_bos"] is True
    seen = []

    def recording(search):
        def run(model, src, limits, special):
            hypotheses = search(model, src, limits, special)
            seen.extend(([int(i) for i in row if i != PAD], h) for row, h in zip(src, hypotheses, strict=True))
            return hypotheses
        return run

    # the engine's search "auto" decodes aggressively where the decoder takes several tokens: the same ids
    for name in ("greedy_search", "aggressive_search"):
        monkeypatch.setattr(corrector_module, name, recording(getattr(corrector_module, name)))
    text = tmp_path / "input.txt"
    text.write_text("\n".join(_sample_lines()) + "\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["correct", str(text), "--model", str(out), "--device", "cpu",
                                      "--no-guard", "--format", "json"])
    assert result.exit_code == 0, result.output
    engine = Corrector.from_dir(out, device="cpu", options=CorrectorOptions(cache_size=0, threads=1))
    lines = [model_input(s.text).line for line in _sample_lines() for s in engine.segments(line)]
    expected_sources = sorted([BOS, *tiny_tokenizer.EncodeAsIds(line)[:254], EOS] for line in lines)
    assert sorted(source for source, _ in seen) == expected_sources
    for source, hypothesis in seen:
        steps = len(hypothesis.ids) + (1 if hypothesis.complete else 0)
        reference = original_greedy(original, source, steps)
        assert reference == [*hypothesis.ids, *([EOS] if hypothesis.complete else [])]


def test_naive_decoder_reads_the_original_layout(original_layout, tiny_sources, tiny_tokenizer, tmp_path):
    original, out = _export_original(original_layout, tiny_sources, tmp_path)
    model, _ = load_model(tmp_path / "original.pt", load_model_config(tmp_path / "config.json"))
    model.eval()
    info = load_model_info(out)
    for line in _sample_lines(3):
        pieces = tiny_tokenizer.EncodeAsIds(model_input(line).line)[:20]
        with torch.no_grad():
            ids = naive_greedy(model, pieces, 12, BOS, EOS, PAD, info.source_bos)
        reference = original_greedy(original, [BOS, *pieces, EOS], 13)
        assert ids == [t for t in reference if t != EOS][:12]
    assert np.array_equal(Corrector.from_dir(out, device="cpu").source_ids([7, 8]), [BOS, 7, 8, EOS])
