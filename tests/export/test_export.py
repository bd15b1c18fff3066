"""The export pipeline on a tiny real model: real ONNX files, real ONNX Runtime sessions, real checkpoints."""
import importlib.util
import json
import shutil
from collections import Counter
from pathlib import Path

import numpy as np
import onnx
import pytest
import torch
import typer
from typer.testing import CliRunner

from export.exporter import ExportRequest, export_model
from export.onnx_graphs import EXPORT_SHAPES
from export.verify import (
    SAMPLE_SENTENCES,
    OnnxSeq2Seq,
    encode_sentences,
    greedy_parity,
    pad_batch,
    random_batch,
    torch_onnx_parity,
)
from nahawi.errors import InputError, ModelError
from nahawi.model_dir import (
    DECODER_ALL_LOG_PROBS,
    DECODER_INPUTS,
    DECODER_OUTPUTS,
    file_record,
    load_model_info,
    sha256_file,
)
from training.checkpoint import load_model
from training.config import PRESETS, load_model_config
from training.decode import greedy_decode
from training.lora import load_adapter

TEST = PRESETS["test"]
ORIGINAL_CONFIG = {"vocab_size": TEST.vocab_size, "d_model": TEST.d_model, "nhead": TEST.nhead,
                   "num_encoder_layers": TEST.num_encoder_layers, "num_decoder_layers": TEST.num_decoder_layers,
                   "dim_feedforward": TEST.dim_feedforward, "dropout": 0.0, "max_seq_len": TEST.max_seq_len,
                   "batch_size": 32, "learning_rate": 5e-4, "warmup_steps": 4000}  # training keys are ignored


def onnx_pair(directory: Path) -> OnnxSeq2Seq:
    return OnnxSeq2Seq(directory, max_seq_len=TEST.max_seq_len)


def cli_app() -> typer.Typer:
    """The real `nahawi` app; while nahawi/cli/__init__.py cannot import all its sub-apps yet, a local app
    with the same `export` command (loaded from its file, bypassing the package __init__)."""
    try:
        from nahawi.cli import app
        return app
    except ImportError:
        pass
    path = Path(__file__).resolve().parents[2] / "nahawi" / "cli" / "export.py"
    spec = importlib.util.spec_from_file_location("nahawi_cli_export_under_test", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    app = typer.Typer()
    app.command("export")(module.export)

    @app.callback()
    def root() -> None:
        """nahawi (test harness)"""

    return app


def tree_digest(directory: Path) -> dict[str, str]:
    return {path.name: sha256_file(path) for path in sorted(directory.iterdir())}


def no_staging_left(parent: Path) -> bool:
    return not [path for path in parent.iterdir() if ".staging-" in path.name]


def teacher_forced_log_probs(module, src: torch.Tensor, tgt: torch.Tensor) -> np.ndarray:
    with torch.no_grad():
        return torch.log_softmax(module(src, tgt), dim=-1).numpy()


def full_length_batch(seed: int, batch: int = 3, src_len: int = 9, tgt_len: int = 6):
    """Unpadded sources: the original system masks no padding, so only full rows compare exactly."""
    generator = torch.Generator().manual_seed(seed)
    src = torch.randint(4, TEST.vocab_size, (batch, src_len), generator=generator)
    src[:, -1] = TEST.eos_id
    tgt = torch.randint(4, TEST.vocab_size, (batch, tgt_len), generator=generator)
    tgt[:, 0] = TEST.bos_id
    return src, tgt


def test_fp32_matches_torch_on_untraced_shapes(tiny_model, tiny_model_dir):
    shapes = ((5, 13, 4), (1, 1, 3), (2, 30, 12))  # batch 1 and 5, a one-token source, a long target
    assert all(shape[:2] != EXPORT_SHAPES[:2] for shape in shapes)
    report = torch_onnx_parity(tiny_model, onnx_pair(tiny_model_dir), shapes)
    assert report.max_abs_log_prob < 1e-4
    assert report.max_abs_cross < 1e-5
    recorded = load_model_info(tiny_model_dir).export["verification"]["parity"]
    assert recorded["max_abs_log_prob"] < 1e-4


def test_decoder_starts_from_an_empty_cache_and_grows_it(tiny_model_dir):
    pair = onnx_pair(tiny_model_dir)
    src = pad_batch([[5, 6, 7, 3], [8, 3]], TEST.pad_id)
    cross = pair.encode(src)
    layers, heads, head_dim = TEST.num_decoder_layers, TEST.nhead, TEST.d_model // TEST.nhead
    assert cross[0].shape == (layers, 2, heads, 4, head_dim)
    past = (pair.empty_cache(cross[0]), pair.empty_cache(cross[0]))
    assert past[0].shape[3] == 0
    for position in range(3):
        log_probs, past = pair.step(np.full((2, 1), TEST.bos_id), position, src, cross, past)
        assert log_probs.shape == (2, TEST.vocab_size)
        assert past[0].shape == past[1].shape == (layers, 2, heads, position + 1, head_dim)
        np.testing.assert_allclose(np.exp(log_probs).sum(-1), 1.0, atol=1e-5)


def test_greedy_outputs_identical_to_torch(tiny_model, tiny_model_dir, tiny_tokenizer, tiny_sources):
    lines = list(SAMPLE_SENTENCES) + tiny_sources.corpus.read_text(encoding="utf-8").splitlines()[40:60]
    sources = encode_sentences(tiny_tokenizer, lines, TEST)
    pair = onnx_pair(tiny_model_dir)
    report = greedy_parity(tiny_model, pair, sources, batch_size=7)
    assert report.sentences == len(lines) and report.mismatches == 0
    assert report.identical >= report.sentences - 1  # a float near-tie may split one path, never more here
    src = pad_batch(sources[:4], TEST.pad_id)
    assert pair.greedy(src) == greedy_decode(tiny_model, torch.from_numpy(src))


def test_model_json_describes_the_directory(tiny_model_dir, tiny_sources):
    info = load_model_info(tiny_model_dir)
    assert info.precision == "fp32" and info.format_version == 1
    assert (info.vocab_size, info.d_model, info.nhead) == (TEST.vocab_size, TEST.d_model, TEST.nhead)
    assert (info.pad_id, info.unk_id, info.bos_id, info.eos_id) == (0, 1, 2, 3)
    assert info.decoder.inputs == DECODER_INPUTS
    assert info.decoder.outputs == (*DECODER_OUTPUTS, DECODER_ALL_LOG_PROBS)  # several tokens per call
    assert info.training_manifest_sha256 == sha256_file(tiny_sources.corpus.parent / "manifest.json")
    assert info.export["checkpoint"]["sha256"] == sha256_file(tiny_sources.checkpoint)
    assert info.export["checkpoint"]["layout"] == "nahawi"
    assert info.export["verification"]["greedy"]["mismatches"] == 0
    document = json.loads((tiny_model_dir / "model.json").read_text(encoding="utf-8"))
    decoder_io = {item["name"]: item for item in document["graphs"]["decoder"]["inputs"]}
    assert decoder_io["past_k"]["shape"][3] == "past_len" and decoder_io["step"]["shape"] == []
    assert set(document["export"]["versions"]) >= {"nahawi", "torch", "onnx", "onnxruntime"}
    assert sorted(document["files"]) == ["decoder.onnx", "encoder.onnx", "spm.model"]


def test_cli_int8_export_runs_and_roughly_agrees(tiny_sources, tiny_model_dir, tmp_path):
    out = tmp_path / "int8"
    result = CliRunner().invoke(cli_app(), ["export", "--checkpoint", str(tiny_sources.checkpoint),
                                            "--out", str(out), "--precision", "int8", "--json",
                                            "--verify-dev", "2"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    # Through the engine on QALB-2014 dev when both exist, else skipped with the reason.
    assert "skipped" in report["dev"] or report["dev"]["drop"] <= report["dev"]["max_drop"]
    assert report["precision"] == "int8" and report["out"] == str(out)
    assert report["parity"]["max_abs_log_prob"] < 1e-4 and report["greedy"]["mismatches"] == 0
    assert report["variant"]["ran"] and report["variant"]["top1_agreement"] >= 0.9
    assert set(report["files"]) == {"encoder.onnx", "decoder.onnx", "spm.model", "model.json", "tied_table.bin"}
    assert load_model_info(out).precision == "int8"
    # static int8: activation scales fixed at export (QDQ), none computed per call from what the call holds
    ops = Counter(node.op_type for node in onnx.load(str(out / "decoder.onnx")).graph.node)
    assert ops["QuantizeLinear"] > 0 and ops["DequantizeLinear"] > 0 and ops["DynamicQuantizeLinear"] == 0
    assert report["variant"]["batch_independence_max_abs_log_prob"] <= 1e-6
    quantization = load_model_info(out).export["quantization"]
    assert quantization["method"] == "static QDQ" and quantization["calibration"]["source"] == "built-in"
    assert all(graph["matmuls_int8"] > 0 for graph in quantization["graphs"].values())
    fp32_bytes = sum((tiny_model_dir / f).stat().st_size for f in ("encoder.onnx", "decoder.onnx"))
    assert sum(report["files"][f] for f in ("encoder.onnx", "decoder.onnx")) < fp32_bytes
    src, tgt = (t.numpy() for t in random_batch(TEST, 3, 10, 7, seed=5))  # past axis 0..6, batch 3
    reference, quantized = onnx_pair(tiny_model_dir).teacher_forced(src, tgt), onnx_pair(out).teacher_forced(src, tgt)
    assert np.isfinite(quantized).all() and np.abs(reference - quantized).max() < 0.5
    assert (reference.argmax(-1) == quantized.argmax(-1)).mean() >= 0.9
    assert "nahawi export:" in result.stderr


def _external_files(graph_file) -> set[str]:
    model = onnx.load(str(graph_file), load_external_data=False)
    return {entry.value for init in model.graph.initializer for entry in init.external_data if entry.key == "location"}


def test_int8_export_stores_the_tied_table_once(tiny_sources, tmp_path):
    """The tied embedding / output projection is one int8 table in tied_table.bin that both graphs read (the
    projection a QGemm over its rows), checked like every model file: a changed byte is a corrupt model."""
    from nahawi.engine import Corrector, CorrectorOptions

    out = tmp_path / "int8"
    export_model(ExportRequest(tiny_sources.checkpoint, out, precision="int8"))
    vocab, width = TEST.vocab_size, TEST.d_model
    table = out / "tied_table.bin"
    assert table.stat().st_size >= vocab * width
    for graph in ("encoder.onnx", "decoder.onnx"):
        assert _external_files(out / graph) == {"tied_table.bin"}
        inline = onnx.load(str(out / graph), load_external_data=False).graph.initializer
        assert not [init.name for init in inline if sorted(init.dims) == sorted([vocab, width]) and init.raw_data]
    ops = Counter(node.op_type for node in onnx.load(str(out / "decoder.onnx")).graph.node)
    assert ops["QGemm"] == 1
    assert load_model_info(out).export["quantization"]["tied_table"]["read_by"] == ["encoder.onnx", "decoder.onnx"]
    engine = Corrector.from_dir(out, device="cpu", options=CorrectorOptions(threads=1, policy=False))
    assert engine.correct("ذهب الولد الى المدرسة").source == "ذهب الولد الى المدرسة"
    data = bytearray(table.read_bytes())
    data[7] ^= 0x55
    table.write_bytes(bytes(data))
    with pytest.raises(ModelError, match="tied_table.bin: corrupt"):
        Corrector.from_dir(out, device="cpu", options=CorrectorOptions(threads=1, policy=False))


def test_a_graph_reading_data_outside_its_directory_is_refused(tiny_sources, tmp_path):
    """A hostile graph whose external data names a file outside the model directory does not load."""
    from nahawi.engine import Corrector, CorrectorOptions

    out = tmp_path / "int8"
    export_model(ExportRequest(tiny_sources.checkpoint, out, precision="int8"))
    outside = tmp_path / "secret.bin"
    outside.write_bytes((out / "tied_table.bin").read_bytes())
    model = onnx.load(str(out / "decoder.onnx"), load_external_data=False)
    for init in model.graph.initializer:
        for entry in init.external_data:
            if entry.key == "location":
                entry.value = "../secret.bin"
    onnx.save(model, str(out / "decoder.onnx"))
    document = json.loads((out / "model.json").read_text(encoding="utf-8"))
    document["files"]["decoder.onnx"] = file_record(out / "decoder.onnx")  # an attacker writes model.json too
    (out / "model.json").write_text(json.dumps(document), encoding="utf-8")
    with pytest.raises(ModelError, match="decoder.onnx: cannot load"):
        Corrector.from_dir(out, device="cpu", options=CorrectorOptions(threads=1, policy=False))


def test_refuses_to_overwrite_without_force(tiny_sources, tiny_model_dir, tmp_path):
    out = tmp_path / "existing"
    shutil.copytree(tiny_model_dir, out)
    before = tree_digest(out)
    result = CliRunner().invoke(cli_app(), ["export", "--checkpoint", str(tiny_sources.checkpoint),
                                            "--out", str(out)])
    assert result.exit_code == 1 and "--force" in result.stderr
    assert tree_digest(out) == before
    not_a_model = tmp_path / "notes"
    not_a_model.mkdir()
    (not_a_model / "thesis.txt").write_text("precious", encoding="utf-8")
    with pytest.raises(InputError, match="not a model directory"):
        export_model(ExportRequest(tiny_sources.checkpoint, not_a_model, force=True))
    with pytest.raises(InputError, match="precision"):
        export_model(ExportRequest(tiny_sources.checkpoint, tmp_path / "new", precision="int4"))


def test_fp16_export_replaces_existing_directory_with_force(tiny_sources, tiny_model_dir, tmp_path):
    out = tmp_path / "model"
    shutil.copytree(tiny_model_dir, out)
    report = export_model(ExportRequest(tiny_sources.checkpoint, out, precision="fp16", force=True))
    info = load_model_info(out)
    assert info.precision == "fp16" and no_staging_left(tmp_path)
    for name in ("encoder.onnx", "decoder.onnx"):
        onnx.checker.check_model(str(out / name), full_check=True)
        graph = onnx.load(str(out / name)).graph
        assert any(init.data_type == onnx.TensorProto.FLOAT16 for init in graph.initializer)
        assert all(value.type.tensor_type.elem_type != onnx.TensorProto.FLOAT16
                   for value in [*graph.input, *graph.output])  # float32 at the edges
    if report.variant["ran"]:  # this ONNX Runtime runs fp16 on CPU
        assert report.variant["max_abs_log_prob"] < 0.05 and report.variant["top1_agreement"] >= 0.95
        assert onnx_pair(out).greedy(pad_batch([[9, 10, 11, 3]], 0)) is not None


def test_failed_verification_leaves_destination_untouched(tiny_sources, tiny_model_dir, tmp_path):
    out = tmp_path / "model"
    shutil.copytree(tiny_model_dir, out)
    before = tree_digest(out)
    seen = []

    def dev_scorer(model_dir: Path, limit: int) -> float:  # stands in for the engine on QALB dev
        info = load_model_info(model_dir)  # a complete, valid model directory is scored
        seen.append((info.precision, limit))
        return 0.50 if info.precision == "fp32" else 0.40

    request = ExportRequest(tiny_sources.checkpoint, out, precision="int8", force=True, verify_dev=3)
    with pytest.raises(ModelError, match="loses 0.1000 dev F0.5"):
        export_model(request, dev_scorer=dev_scorer)
    assert seen == [("fp32", 3), ("int8", 3)]
    assert tree_digest(out) == before and no_staging_left(tmp_path)


def test_original_bare_state_dict_with_original_config(tiny_sources, original_layout, tmp_path):
    torch.manual_seed(3)
    original = original_layout.Orig(**{k: ORIGINAL_CONFIG[k] for k in (
        "vocab_size", "d_model", "nhead", "num_encoder_layers", "num_decoder_layers", "dim_feedforward",
        "dropout", "max_seq_len")}).eval()
    checkpoint, config = tmp_path / "original.pt", tmp_path / "config.json"
    torch.save(original.state_dict(), checkpoint)
    config.write_text(json.dumps(ORIGINAL_CONFIG), encoding="utf-8")
    with pytest.raises(InputError, match="--tokenizer"):  # the original records no tokenizer
        export_model(ExportRequest(checkpoint, tmp_path / "model", config=config))
    out = tmp_path / "model"
    export_model(ExportRequest(checkpoint, out, config=config, tokenizer=tiny_sources.tokenizer))
    info = load_model_info(out)
    assert info.export["checkpoint"]["layout"] == "original"
    assert info.export["checkpoint"]["config_source"] == "config file"
    src, tgt = full_length_batch(seed=1)
    expected = teacher_forced_log_probs(original, src, tgt)  # nn.TransformerEncoder/Decoder themselves
    got = onnx_pair(out).teacher_forced(src.numpy(), tgt.numpy())
    assert np.abs(expected - got).max() < 1e-4


def original_lora_file(path: Path, model, rank: int, seed: int) -> dict[str, torch.Tensor]:
    """An adapter in the original format: {'lora_state_dict': {'<module>.lora_A': (r, in), '.lora_B': (out, r)}}."""
    generator = torch.Generator().manual_seed(seed)
    state = {}
    for name in ("encoder.layers.0.self_attn.out_proj", "encoder.layers.1.linear1",
                 "decoder.layers.0.linear2", "decoder.layers.1.multihead_attn.out_proj"):
        linear = model.get_submodule(name)
        state[f"{name}.lora_A"] = torch.randn(rank, linear.in_features, generator=generator) * 0.2
        state[f"{name}.lora_B"] = torch.randn(linear.out_features, rank, generator=generator) * 0.2
    torch.save({"lora_state_dict": state}, path)
    return state


def test_original_lora_merges_with_default_alpha(tiny_sources, original_layout, tmp_path):
    torch.manual_seed(4)
    original = original_layout.Orig().eval()  # the "test" preset sizes are its defaults
    checkpoint, adapter, config = tmp_path / "base.pt", tmp_path / "adapter.pt", tmp_path / "config.json"
    torch.save({"model_state_dict": original.state_dict()}, checkpoint)
    config.write_text(json.dumps(ORIGINAL_CONFIG), encoding="utf-8")
    rank = 4
    state = original_lora_file(adapter, original, rank, seed=7)
    out = tmp_path / "model"
    export_model(ExportRequest(checkpoint, out, lora=adapter, config=config, tokenizer=tiny_sources.tokenizer))
    lora = load_model_info(out).export["lora"]
    assert (lora["rank"], lora["alpha"], lora["adapted_modules"]) == (rank, 2.0 * rank, 4)

    base = load_model(checkpoint, load_model_config(config))[0].eval()
    by_hand = load_model(checkpoint, load_model_config(config))[0].eval()
    with torch.no_grad():  # W + B A * alpha / r with alpha = 2r
        for key in state:
            if key.endswith(".lora_A"):
                name = key.removesuffix(".lora_A")
                by_hand.get_submodule(name).weight += state[f"{name}.lora_B"] @ state[key] * 2.0
    unmerged = load_model(checkpoint, load_model_config(config))[0]
    load_adapter(unmerged, adapter)
    unmerged.eval()

    src, tgt = random_batch(TEST, 3, 8, 6, seed=2)
    got = onnx_pair(out).teacher_forced(src.numpy(), tgt.numpy())
    assert np.abs(teacher_forced_log_probs(by_hand, src, tgt) - got).max() < 1e-4
    assert np.abs(teacher_forced_log_probs(unmerged, src, tgt) - got).max() < 1e-4  # merged ≡ unmerged
    assert np.abs(teacher_forced_log_probs(base, src, tgt) - got).max() > 1e-2  # the adapter matters


class NotAWeight:
    """Unpickling this needs code execution (a class lookup), which weights_only loading refuses."""


def test_checkpoint_needing_code_execution_is_refused(tiny_model, tmp_path):
    checkpoint = tmp_path / "evil.pt"
    torch.save({"model_state_dict": tiny_model.state_dict(), "hook": NotAWeight()}, checkpoint)
    out = tmp_path / "model"
    with pytest.raises(ModelError, match="refused"):
        export_model(ExportRequest(checkpoint, out))
    assert not out.exists() and no_staging_left(tmp_path)
    result = CliRunner().invoke(cli_app(), ["export", "--checkpoint", str(checkpoint), "--out", str(out)])
    assert result.exit_code == 2 and "refused" in result.stderr


def test_export_ships_lexicon_and_punctuation_model_checked_by_hash(tiny_sources, tmp_path):
    from nahawi.engine import Corrector
    from nahawi.errors import ModelError
    from nahawi.lexicon import save_lexicon
    from nahawi.punctuation import LABELS, save_punctuation

    lexicon, punctuation = tmp_path / "lexicon.tsv.gz", tmp_path / "punctuation.json.gz"
    save_lexicon(lexicon, {"إلى": 900, "الى": 40, "ذهبت": 50, "السوق": 60}, {("ذهبت", "إلى"): 30})
    period = [8.0 if label == "." else 0.0 for label in LABELS]
    save_punctuation(punctuation, {"bias": [4.0] + [0.0] * (len(LABELS) - 1), "e=0": period}, {}, 0.8)
    out = tmp_path / "model"
    result = CliRunner().invoke(cli_app(), ["export", "--checkpoint", str(tiny_sources.checkpoint), "--out", str(out),
                                            "--lexicon", str(lexicon), "--punctuation", str(punctuation), "--json"])
    assert result.exit_code == 0, result.output
    assert {"lexicon.tsv.gz", "punctuation.json.gz"} <= set(json.loads(result.stdout)["files"])
    corrector = Corrector.from_dir(out, device="cpu")
    assert corrector.stages.lexicon.bigrams == {("ذهبت", "إلى"): 30} and corrector.stages.punctuation is not None
    edits = corrector.correct("ذهبت الى السوق").edits
    assert ("الى", "إلى") in [(e.original, e.replacement) for e in edits]
    assert any(e.rule_id == "punctuation" and e.replacement == "." for e in edits)
    (out / "punctuation.json.gz").write_bytes(punctuation.read_bytes()[:-5])
    with pytest.raises(ModelError, match="punctuation.json.gz"):
        Corrector.from_dir(out, device="cpu")


def test_an_int8_sentence_is_corrected_the_same_alone_and_among_others(tiny_sources, tmp_path):
    """Static int8: a line's output never depends on which other lines share its batch, nor on how many tokens
    one decoder call verifies (aggressive decoding), on real Arabic through the engine."""
    from export.fixtures import SENTENCES
    from nahawi.engine import Corrector, CorrectorOptions

    out = tmp_path / "int8"
    export_model(ExportRequest(tiny_sources.checkpoint, out, precision="int8"))
    lines = list(SENTENCES)
    for search in ("greedy", "aggressive"):
        engine = Corrector.from_dir(out, device="cpu",
                                    options=CorrectorOptions(threads=1, cache_size=0, policy=False, search=search))
        batched = [c.corrected for c in engine.correct_batch(lines)]
        assert batched == [engine.correct(line).corrected for line in lines]
        assert batched == [engine.correct_batch([line, *reversed(lines)])[0].corrected for line in lines]

