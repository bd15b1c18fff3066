"""`nahawi train recipe tiny --smoke` runs every stage end to end on a small slice (what CI runs)."""
import json

import pytest

pytest.importorskip("torch", reason="needs the 'train' extra (torch)")


def test_smoke_recipe_writes_eval_json(shared_root, tmp_path):
    from typer.testing import CliRunner

    from nahawi.cli import app

    out = tmp_path / "smoke"
    result = CliRunner().invoke(app, ["train", "recipe", "tiny", "--smoke", "--out", str(out),
                                      "--data-root", str(shared_root / "data"),
                                      "--corpus-root", str(shared_root / "corpus")])
    assert result.exit_code == 0, result.output
    report = json.loads((out / "eval.json").read_text(encoding="utf-8"))
    for system in ("torch_greedy", "engine"):
        for score in ("with_punct", "no_punct"):
            assert 0.0 <= report[system][score]["f0.5"] <= 1.0
            assert report[system][score]["gold"] > 0
    manifest = json.loads((out / "data" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["counts"]["by_origin"]["real"] > 0
    assert (out / "lora" / "best_adapter.pt").exists() and (out / "model" / "lexicon.tsv.gz").exists()
    assert (out / "model" / "punctuation.json.gz").exists()
    assert (out / "model" / "lexicon_gate.json").exists()
    lora_rows = (out / "lora_data" / "train.jsonl").read_text(encoding="utf-8").splitlines()
    assert sum(json.loads(r)["origin"] != "real" for r in lora_rows) == 300  # real pairs + the sampled others
    model_json = json.loads((out / "model" / "model.json").read_text(encoding="utf-8"))
    assert "false alarms" in model_json["policy"]["objective"] and "strict_policy" in model_json
    training = model_json["training"]
    assert training["recipe"].startswith("nahawi train recipe tiny") and training["manifest_sha256"]
    assert training["train_config"]["lora_rank"] > 0 and not any(
        str(v).startswith("/") for v in training["train_config"].values())  # no local paths shipped
    # rerunning skips the finished stages
    again = CliRunner().invoke(app, ["train", "recipe", "tiny", "--smoke", "--out", str(out),
                                     "--data-root", str(shared_root / "data"),
                                     "--corpus-root", str(shared_root / "corpus")])
    assert again.exit_code == 0 and "done already, skipped" in again.output


def test_lora_mix_keeps_every_real_pair_and_records_where_it_came_from(tmp_path):
    from nahawi.model_dir import sha256_file
    from training.recipe import write_lora_mix

    data = tmp_path / "data"
    data.mkdir()
    rows = [{"source": f"جملة {i}", "target": f"جملة {i}", "origin": "real" if i < 3 else "synthetic"}
            for i in range(20)]
    (data / "train.jsonl").write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    (data / "manifest.json").write_text('{"outputs": {}}\n', encoding="utf-8")
    assert write_lora_mix(data, tmp_path / "mix", others=5, seed=7) == (3, 5)
    lines = (tmp_path / "mix" / "train.jsonl").read_text(encoding="utf-8").splitlines()
    assert sum(json.loads(line)["origin"] == "real" for line in lines) == 3 and len(lines) == 8
    manifest = json.loads((tmp_path / "mix" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["drawn_from"]["manifest_sha256"] == sha256_file(data / "manifest.json")
    assert manifest["outputs"]["train.jsonl"] == sha256_file(tmp_path / "mix" / "train.jsonl")
