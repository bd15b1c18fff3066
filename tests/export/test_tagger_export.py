"""`nahawi export tagger` on a tiny tagger trained in seconds: real ONNX Runtime sessions, real Arabic, a real
model directory. torch ≡ ONNX fp32; int8 tags agree with fp32; a sentence gets the same probabilities alone
and batched with longer neighbours (fp32 and int8); model.json gains its block and checksums; an existing
tagger needs --force; a hostile or broken checkpoint is refused in one line with nothing written."""
import json
import os
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch
from typer.testing import CliRunner

from export.fixtures import TAGGER_PAIRS, train_tiny_tagger
from export.tagger_export import TaggerExportRequest, TaggerGraph, encode_rows, export_tagger, pad
from nahawi.cli import EXIT_INPUT, EXIT_MODEL, EXIT_USAGE, app
from nahawi.engine.mapping import SubwordCodec
from nahawi.engine.sessions import import_onnxruntime
from nahawi.errors import InputError, ModelError
from nahawi.model_dir import (
    MODEL_JSON,
    TAGGER_FILE,
    TAGGER_TAGS_FILE,
    TAGGER_TOKENIZER_FILE,
    load_model_info,
    sha256_file,
)
from nahawi.tags import TagVocab
from training.tagger import load_tagger

PAIRS = TAGGER_PAIRS
# Not among the exporter's own verification sentences
SENTENCES = [
    *(source for source, _ in PAIRS),
    "اشترى ابي سياره جديده في الاسبوع الماضي ، ثم سافر الى القاهره",
    "هل قرأت الكتاب الذي اعطيتك اياه امس",
    "ذهب",
    "تعد القراءه من اهم وسائل اكتساب المعرفه و الثقافه عند الطلاب و المعلمين في المدارس الحكوميه",
]
NAMES = (TAGGER_FILE, TAGGER_TOKENIZER_FILE, TAGGER_TAGS_FILE)


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory) -> Path:
    """A tiny tagger ("test" preset, 2 layers, d 32) trained on real pairs for 150 steps."""
    return train_tiny_tagger(tmp_path_factory.mktemp("tagger-run"))


def fresh_copy(source: Path, tmp_path: Path) -> Path:
    target = tmp_path / "model"
    shutil.copytree(source, target)
    return target


def tree_digest(directory: Path) -> dict[str, str]:
    return {path.name: sha256_file(path) for path in sorted(directory.iterdir())}


@pytest.fixture(scope="module")
def fp32_dir(checkpoint, tiny_model_dir, tmp_path_factory):
    """(model directory with the fp32 tagger, the CLI result) - exported through `nahawi export tagger`."""
    model_dir = fresh_copy(tiny_model_dir, tmp_path_factory.mktemp("fp32"))
    result = CliRunner().invoke(app, ["export", "tagger", "--checkpoint", str(checkpoint), "--model", str(model_dir),
                                      "--precision", "fp32", "--json"])
    assert result.exit_code == 0, result.output
    return model_dir, result


@pytest.fixture(scope="module")
def int8_dir(checkpoint, fp32_dir, tmp_path_factory):
    """(model directory whose fp32 tagger was replaced (force) by the int8 one, its model.json before, report)."""
    model_dir = fresh_copy(fp32_dir[0], tmp_path_factory.mktemp("int8"))
    before = json.loads((model_dir / MODEL_JSON).read_text(encoding="utf-8"))
    report = export_tagger(TaggerExportRequest(checkpoint, model_dir, force=True))
    return model_dir, before, report


def session(path: Path):
    ort = import_onnxruntime()
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def rows_of(model_dir: Path, sentences=SENTENCES):
    max_len = json.loads((model_dir / MODEL_JSON).read_text(encoding="utf-8"))["tagger"]["max_seq_len"]
    return encode_rows(SubwordCodec(model_dir / TAGGER_TOKENIZER_FILE), sentences, max_len)


def test_fp32_graph_matches_torch_on_real_arabic(fp32_dir, checkpoint):
    model_dir, _ = fp32_dir
    model, _, _ = load_tagger(checkpoint)
    rows = rows_of(model_dir, [*SENTENCES, " ".join(SENTENCES * 3)])  # the long text fills max_seq_len
    assert max(len(r.ids) for r in rows) > 50 and len({len(r.ids) for r in rows}) > 4
    ids = pad(rows, 0)
    with torch.no_grad():
        expected = [t.numpy() for t in TaggerGraph(model)(torch.from_numpy(ids))]
    got = session(model_dir / TAGGER_FILE).run(["word_probs", "mark_probs", "hidden"], {"ids": ids})
    for ref, out in zip(expected, got):
        assert out.dtype == np.float32 and out.shape == ref.shape
        assert np.abs(ref - out).max() < 1e-4
    for probs in got[:2]:
        assert np.allclose(probs.sum(-1), 1.0, atol=1e-5)
    assert got[2].shape == (*ids.shape, model.config.d_model)  # the states a writer's adapter reads


def test_int8_tags_agree_with_fp32(int8_dir, fp32_dir):
    (int8, _, report), (fp32, _) = int8_dir, fp32_dir
    rows = rows_of(int8)
    ids = pad(rows, 0)
    (ref_w, ref_m), (var_w, var_m) = (session(d / TAGGER_FILE).run(["word_probs", "mark_probs"], {"ids": ids})
                                      for d in (fp32, int8))
    same = total = 0
    for index, row in enumerate(rows):
        same += int((ref_w[index, row.first].argmax(-1) == var_w[index, row.first].argmax(-1)).sum())
        same += int((ref_m[index, row.last].argmax(-1) == var_m[index, row.last].argmax(-1)).sum())
        total += 2 * len(row.first)
    assert same / total >= 0.98
    recorded = report.verify["int8_vs_fp32"]
    assert recorded["word_top1"] >= 0.98 and recorded["mark_top1"] >= 0.98 and recorded["words"] > 100
    assert (int8 / TAGGER_FILE).stat().st_size < (fp32 / TAGGER_FILE).stat().st_size


@pytest.mark.parametrize("precision", ["fp32", "int8"])
def test_a_sentence_gets_the_same_probabilities_alone_and_batched(precision, int8_dir, fp32_dir):
    """int8 activations use scales fixed at export, so padding and neighbours change nothing."""
    model_dir = {"fp32": fp32_dir, "int8": int8_dir}[precision][0]
    graph = session(model_dir / TAGGER_FILE)
    rows = rows_of(model_dir)
    longest = max(rows, key=lambda r: len(r.ids))
    worst = 0.0
    for row in rows:
        alone = graph.run(None, {"ids": pad([row], 0)})
        batched = graph.run(None, {"ids": pad([longest, row, *rows], 0)})
        worst = max(worst, *(float(np.abs(a[0] - b[1, :len(row.ids)]).max()) for a, b in zip(alone, batched)))
    assert worst <= 1e-6
    recorded = json.loads((model_dir / MODEL_JSON).read_text(encoding="utf-8"))["tagger"]["verify"]
    assert recorded["batch_independence_max_abs_prob"][precision] <= 1e-6


def test_model_json_gains_the_tagger_block_and_file_records(int8_dir, checkpoint):
    model_dir, before, _ = int8_dir
    after = json.loads((model_dir / MODEL_JSON).read_text(encoding="utf-8"))
    assert {k: v for k, v in after.items() if k not in ("tagger", "files")} == \
        {k: v for k, v in before.items() if k not in ("tagger", "files")}
    assert {k: v for k, v in after["files"].items() if k not in NAMES} == \
        {k: v for k, v in before["files"].items() if k not in NAMES}
    assert before["tagger"]["precision"] == "fp32"  # the one replaced (force)
    assert after["files"][TAGGER_FILE] != before["files"][TAGGER_FILE]
    for name in NAMES:
        assert after["files"][name] == {"sha256": sha256_file(model_dir / name),
                                        "bytes": (model_dir / name).stat().st_size}
    block = after["tagger"]
    _, vocab, payload = load_tagger(checkpoint)
    assert (block["file"], block["tokenizer"], block["tags"]) == NAMES
    assert block["inputs"] == ["ids"] and block["outputs"] == ["word_probs", "mark_probs", "hidden"]
    assert block["precision"] == "int8" and block["max_seq_len"] == payload["config"]["max_seq_len"] == 64
    assert block["architecture"] == payload["config"]
    assert block["checkpoint"] == {"file": "last.pt", "step": 150, "sha256": sha256_file(checkpoint)}
    assert block["verify"]["torch_fp32_max_abs_prob"] < 1e-4
    assert block["quantization"]["matmuls_int8"] == 2 * 5 and block["quantization"]["embedding_tables_int8"] == 1
    assert TagVocab.load(model_dir / TAGGER_TAGS_FILE).word_tags == vocab.word_tags
    assert sha256_file(model_dir / TAGGER_TOKENIZER_FILE) == sha256_file(payload["tokenizer"])
    assert not [p for p in model_dir.iterdir() if p.name.startswith(".")]
    spec = load_model_info(model_dir).tagger
    assert spec is not None and (spec.file, spec.precision, spec.max_seq_len) == (TAGGER_FILE, "int8", 64)


def test_the_engine_corrects_with_the_exported_tagger(int8_dir):
    from nahawi.engine import Corrector, CorrectorOptions

    corrector = Corrector.from_dir(int8_dir[0], device="cpu", options=CorrectorOptions(threads=1, cache_size=0))
    assert corrector.tagger is not None
    [correction] = corrector.correct_batch([PAIRS[1][0]])
    assert correction.source == PAIRS[1][0]


def test_a_tagger_only_directory_drops_the_seq2seq_and_corrects_the_same(checkpoint, fp32_dir, tmp_path):
    """`--tagger-only` removes the seq2seq's graphs (the tagger proposes every model edit: a directory within
    the 40 MB budget); the engine then corrects exactly as before and refuses, in one line, to decode a seq2seq
    it does not have."""
    from nahawi.engine import Corrector, CorrectorOptions

    model_dir = fresh_copy(fp32_dir[0], tmp_path)
    options = CorrectorOptions(threads=1, cache_size=0)
    texts = [source for source, _ in PAIRS]
    before = [c.edits for c in Corrector.from_dir(model_dir, device="cpu", options=options).correct_batch(texts)]
    result = CliRunner().invoke(app, ["export", "tagger", "--checkpoint", str(checkpoint), "--model", str(model_dir),
                                      "--precision", "fp32", "--force", "--tagger-only"])
    assert result.exit_code == 0, result.output
    document = json.loads((model_dir / MODEL_JSON).read_text(encoding="utf-8"))
    assert document["seq2seq"] is False and "graphs" not in document
    assert not (model_dir / "encoder.onnx").exists() and not (model_dir / "decoder.onnx").exists()
    assert "encoder.onnx" not in document["files"] and "decoder.onnx" not in document["files"]
    corrector = Corrector.from_dir(model_dir, device="cpu", options=options)
    assert [c.edits for c in corrector.correct_batch(texts)] == before and any(before)
    assert corrector.info.provider == "CPUExecutionProvider" and not corrector.model.loaded
    with pytest.raises(ModelError, match="tagger-only"):
        Corrector.from_dir(model_dir, device="cpu", options=CorrectorOptions(threads=1, tagger=False))
    broken = dict(document, tagger=None)
    (model_dir / MODEL_JSON).write_text(json.dumps(broken), encoding="utf-8")
    with pytest.raises(ModelError, match="no model"):
        Corrector.from_dir(model_dir, device="cpu", options=options)


def test_an_existing_tagger_needs_force_and_nothing_changes(int8_dir, checkpoint, tmp_path):
    model_dir = fresh_copy(int8_dir[0], tmp_path)
    digest = tree_digest(model_dir)
    with pytest.raises(InputError, match="--force"):
        export_tagger(TaggerExportRequest(checkpoint, model_dir, precision="fp32"))
    (model_dir / TAGGER_FILE).unlink()  # a stray file alone also counts as a tagger
    (model_dir / MODEL_JSON).write_text(json.dumps({**json.loads((model_dir / MODEL_JSON).read_text("utf-8")),
                                                    "tagger": None}), encoding="utf-8")
    digest = tree_digest(model_dir)
    with pytest.raises(InputError, match="tagger_spm.model"):
        export_tagger(TaggerExportRequest(checkpoint, model_dir, precision="fp32"))
    assert tree_digest(model_dir) == digest


class CallsSystem:
    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return os.system, (f"touch {self.marker}",)


def hostile(folder: Path) -> Path:
    path = folder / "evil.pt"
    torch.save({"model_state_dict": CallsSystem(folder / "pwned"), "config": {}, "tags": {}}, path)
    return path


def truncated(folder: Path, checkpoint: Path) -> Path:
    data = checkpoint.read_bytes()
    path = folder / "truncated.pt"
    path.write_bytes(data[:len(data) // 2])
    return path


def not_a_tagger(folder: Path, checkpoint: Path) -> Path:
    payload = torch.load(checkpoint, weights_only=True)
    path = folder / "seq2seq.pt"
    torch.save({"model_state_dict": payload["model_state_dict"], "config": payload["config"]}, path)
    return path


def wrong_shapes(folder: Path, checkpoint: Path) -> Path:
    payload = torch.load(checkpoint, weights_only=True)
    payload["model_state_dict"]["word_head.weight"] = torch.zeros(3, 32)
    path = folder / "shapes.pt"
    torch.save(payload, path)
    return path


@pytest.mark.parametrize(("make", "message"), [
    (lambda folder, _: hostile(folder), "would execute code"),
    (truncated, "corrupt or truncated"),
    (not_a_tagger, "not a tagger checkpoint"),
    (wrong_shapes, "not a usable tagger checkpoint"),
])
def test_a_hostile_or_broken_checkpoint_is_refused_in_one_line(make, message, checkpoint, tiny_model_dir, tmp_path):
    model_dir = fresh_copy(tiny_model_dir, tmp_path)
    digest = tree_digest(model_dir)
    bad = make(tmp_path, checkpoint)
    with pytest.raises(ModelError, match=message) as caught:
        export_tagger(TaggerExportRequest(bad, model_dir))
    assert "\n" not in str(caught.value) and len(str(caught.value)) < 400
    assert not (tmp_path / "pwned").exists()
    assert tree_digest(model_dir) == digest


def test_cli_reports_json_and_refuses_without_force_or_a_hostile_checkpoint(fp32_dir, checkpoint, tmp_path):
    model_dir, result = fp32_dir
    report = json.loads(result.stdout)
    assert report["precision"] == "fp32" and set(report["files"]) == set(NAMES)
    assert report["verify"]["torch_fp32_max_abs_prob"] < 1e-4 and "int8_vs_fp32" not in report["verify"]
    assert "nahawi export tagger: wrote the fp32 tagger" in result.stderr

    copy = fresh_copy(model_dir, tmp_path)
    digest = tree_digest(copy)
    args = ["export", "tagger", "--checkpoint", str(checkpoint), "--model", str(copy)]
    refused = CliRunner().invoke(app, args)
    assert refused.exit_code == EXIT_INPUT and "--force" in refused.stderr and refused.stdout == ""
    assert tree_digest(copy) == digest
    hostile_run = CliRunner().invoke(app, ["export", "tagger", "--checkpoint", str(hostile(tmp_path)),
                                           "--model", str(copy), "--force"])
    assert hostile_run.exit_code == EXIT_MODEL and hostile_run.stderr.count("\n") == 1
    assert tree_digest(copy) == digest and not (tmp_path / "pwned").exists()


def test_export_is_still_the_seq2seq_export_and_its_options_stay_before_tagger(tmp_path):
    missing = CliRunner().invoke(app, ["export"])
    assert missing.exit_code == EXIT_USAGE and "Missing option '--checkpoint'" in missing.output
    misplaced = CliRunner().invoke(app, ["export", "--force", "tagger", "--checkpoint", "x", "--model", str(tmp_path)])
    assert misplaced.exit_code == EXIT_USAGE and "--force" in misplaced.output and "after its name" in misplaced.output
