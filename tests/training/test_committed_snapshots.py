"""The snapshots committed under training/snapshots are whole and the recipes that continue them agree.

A snapshot is how a run outlives a machine that comes back bare: its files must match its manifest, load
without unpickling code, fit its own tokenizer and tags, and the recipe that resumes it must go on at its step.
"""
import hashlib
import json
from pathlib import Path

import pytest

from nahawi.errors import ConfigError
from nahawi.tags import TagVocab

torch = pytest.importorskip("torch")
spm = pytest.importorskip("sentencepiece")

ROOT = Path(__file__).resolve().parents[2]
SNAPSHOTS = sorted((ROOT / "training" / "snapshots").glob("*/manifest.json"))


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize("manifest_path", SNAPSHOTS, ids=lambda p: p.parent.name)
def test_a_committed_snapshot_matches_its_manifest_and_loads_safely(manifest_path):
    folder = manifest_path.parent
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    weights = "tagger.pt" if "tagger.pt" in manifest else "model.pt"  # a tagger's or a seq2seq run's
    assert _sha256(folder / weights) == manifest[weights]
    assert _sha256(folder / "spm.model") == manifest["spm.model"]

    payload = torch.load(folder / weights, weights_only=True, map_location="cpu")
    assert payload["step"] == manifest["step"] and "optimizer" not in payload
    state = payload["model_state_dict"]
    assert all(value.dtype == torch.bfloat16 for key, value in state.items()
               if value.is_floating_point() and key != "pos_encoder.pe")
    if weights == "tagger.pt":
        vocab = TagVocab.from_json(payload["tags"])
        assert state["word_head.weight"].shape[0] == len(vocab.word_tags)
        assert state["mark_head.weight"].shape[0] == len(vocab.marks)
    else:
        assert state["embedding.weight"].shape[0] == payload["config"]["vocab_size"]
    pieces = spm.SentencePieceProcessor(model_file=str(folder / "spm.model"))
    assert payload["config"]["vocab_size"] == pieces.get_piece_size()
    assert pieces.encode("ذهب الطالب إلى المدرسة", out_type=str)  # the tokenizer reads Arabic


def test_each_recipe_that_continues_a_snapshot_goes_on_at_its_step():
    recipes = [path for path in (ROOT / "training" / "recipes").glob("*.json")
               if "training/snapshots/" in json.loads(path.read_text(encoding="utf-8")).get("init_tagger", "")]
    for path in recipes:
        recipe = json.loads(path.read_text(encoding="utf-8"))
        folder = ROOT / Path(recipe["init_tagger"]).parent
        manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
        assert recipe["schedule_offset"] == manifest["step"], path.name
        assert Path(recipe["tokenizer"]).parent == Path(recipe["init_tagger"]).parent and recipe["init_tags"]


def test_each_recipe_that_continues_a_seq2seq_snapshot_goes_on_at_its_step():
    for path in (ROOT / "training" / "recipes").glob("*.json"):
        train = json.loads(path.read_text(encoding="utf-8")).get("train")  # a tagger stage's is a data path
        if not isinstance(train, dict) or "training/snapshots/" not in train.get("init_checkpoint", ""):
            continue
        manifest = json.loads((ROOT / Path(train["init_checkpoint"]).parent / "manifest.json").read_text(encoding="utf-8"))
        assert train["schedule_offset"] == manifest["step"] and not train.get("init_encoder"), path.name


def test_score_model_scores_the_committed_seq2seq_snapshot_on_dev_as_its_run_does(shared_root, tmp_path):
    """`nahawi train score-model`: the snapshot's own tokenizer is found beside it, the figures are the run's
    evaluation (training.evaluate.score_dev), and a checkpoint with no tokenizer anywhere is a clear error."""
    from typer.testing import CliRunner

    from nahawi.cli import app
    from training.checkpoint import load_model
    from training.evaluate import load_qalb14_dev, score_dev

    snapshot = ROOT / "training" / "snapshots" / "seq2seq-warm"
    result = CliRunner().invoke(app, ["train", "score-model", "--checkpoint", str(snapshot / "model.pt"),
                                      "--docs", "2", "--data-root", str(shared_root / "data")])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output.strip().splitlines()[-1])
    manifest = json.loads((snapshot / "manifest.json").read_text(encoding="utf-8"))
    assert report["step"] == manifest["step"] and report["documents"] == 2
    torch.set_num_threads(1)
    with torch.no_grad():
        expected = score_dev(load_model(snapshot / "model.pt")[0].eval(),
                             spm.SentencePieceProcessor(model_file=str(snapshot / "spm.model")),
                             load_qalb14_dev(shared_root / "data", 2))
    for name in ("with_punct", "no_punct"):
        assert report[name]["f0.5"] == round(100 * expected[name]["f0.5"], 2)

    alone = tmp_path / "model.pt"
    alone.write_bytes((snapshot / "model.pt").read_bytes())
    result = CliRunner().invoke(app, ["train", "score-model", "--checkpoint", str(alone),
                                      "--data-root", str(shared_root / "data")])
    assert isinstance(result.exception, ConfigError) and "--tokenizer" in str(result.exception)
