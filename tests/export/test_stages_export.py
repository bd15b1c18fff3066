"""`nahawi export stages`: new lexicon / gate / punctuation files into an existing model directory."""
from __future__ import annotations

import json
import shutil

import pytest
from typer.testing import CliRunner

from nahawi.lexicon import save_lexicon
from nahawi.lexicon_tables import write_lexicon_tables
from nahawi.model_dir import load_model_info, sha256_file

# Real Arabic counts shaped like the corpus's: «المدرسة» is the usual spelling of «المدرسه».
COUNTS = {"ذهب": 900, "الطالب": 400, "إلى": 60000, "الى": 40, "المدرسة": 3000, "المدرسه": 2, "أن": 50000,
          "ان": 60, "قال": 7000}


@pytest.fixture
def model_dir(tiny_model_dir, tmp_path):
    target = tmp_path / "model"
    shutil.copytree(tiny_model_dir, target)
    return target


def _export(*args):
    from nahawi.cli.export import app

    return CliRunner().invoke(app, ["stages", *map(str, args)])


def test_a_new_lexicon_is_checked_mapped_recorded_and_used(model_dir, tmp_path):
    from nahawi.engine import Corrector

    lexicon = tmp_path / "counts.tsv.gz"
    save_lexicon(lexicon, COUNTS)
    result = _export("--model", model_dir, "--lexicon", lexicon, "--recipe", "nahawi train lexicon --min-count 8")
    assert result.exit_code == 0, result.output
    document = json.loads((model_dir / "model.json").read_text(encoding="utf-8"))
    assert document["stages"]["files"]["lexicon.tsv.gz"] == {"from": "counts.tsv.gz", "sha256": sha256_file(lexicon)}
    assert document["stages"]["recipe"] == "nahawi train lexicon --min-count 8"
    assert document["files"]["lexicon.tables"]["sha256"] == sha256_file(model_dir / "lexicon.tables")
    load_model_info(model_dir, verify_hashes=True)  # every record matches, tables against their source
    text = "ذهب الطالب الى المدرسه"
    corrected = Corrector.from_dir(model_dir, device="cpu").correct(text)
    assert {(e.original, e.replacement) for e in corrected.edits if e.rule_id == "lexicon"} >= {
        ("الى", "إلى"), ("المدرسه", "المدرسة")}
    assert not list(model_dir.glob(".stages-staging-*"))


def test_a_bad_file_is_refused_and_the_directory_is_unchanged(model_dir, tmp_path):
    before = {p.name: sha256_file(p) for p in model_dir.iterdir() if p.is_file()}
    corrupt = tmp_path / "broken.tsv.gz"
    corrupt.write_bytes(b"\x1f\x8b not really gzip")
    result = _export("--model", model_dir, "--lexicon", corrupt)
    assert result.exit_code != 0 and "broken.tsv.gz" in result.output
    tables = tmp_path / "lexicon.tables"
    write_lexicon_tables(tables, COUNTS)  # loads as a lexicon, but is not the source the directory ships
    result = _export("--model", model_dir, "--lexicon", tables)
    assert result.exit_code != 0 and "tables file" in result.output
    result = _export("--model", model_dir)
    assert result.exit_code != 0 and "--lexicon" in result.output
    result = _export("--model", tmp_path / "absent", "--lexicon", corrupt)
    assert result.exit_code != 0
    assert {p.name: sha256_file(p) for p in model_dir.iterdir() if p.is_file()} == before
