"""Statistics as mapped tables (issue 15, memory): the shipped lexicon and punctuation tables answer exactly
as the files they were built from, a long line is read as a stream, and loading or correcting holds no
per-word Python objects. Resident memory is measured by `nahawi bench speed --scaling` (docs/RESULTS.md);
here tracemalloc counts Python allocations, which do not depend on the machine's load."""
import gzip
import json
import random
import re
import sys
import tracemalloc

import pytest

from nahawi.engine import punct_stage
from nahawi.engine.corrector import DEFAULT_MODEL_DIR
from nahawi.errors import ModelError
from nahawi.lexicon import Lexicon, load_lexicon, neighbours
from nahawi.lexicon_tables import LexiconTables
from nahawi.model_dir import LEXICON_FILE, LEXICON_TABLES_FILE, load_model_info, write_tables_files
from nahawi.punctuation import load_punctuation
from nahawi.tables import StringIndex, Tables, tables_bytes
from nahawi.text.punct import is_punct_char
from nahawi.text.tokens import model_tokens

SAMPLE = DEFAULT_MODEL_DIR.parent / "sample.txt"


def _sample_lines() -> list[str]:
    return [line for line in SAMPLE.read_text(encoding="utf-8").splitlines() if line.strip()]


def _tsv(path) -> tuple[dict[str, int], dict[tuple[str, str], int]]:
    counts, bigrams = {}, {}
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        for line in handle:
            word, _, count = line.rstrip("\n").partition("\t")
            first, space, second = word.partition(" ")
            if space:
                bigrams[first, second] = int(count)
            else:
                counts[word] = int(count)
    return counts, bigrams


def test_string_index_finds_every_string_and_nothing_else():
    strings = ["", "الله", "إلى", "x", "كلمة،", "🙂", "ـــ", "a b", *(f"w{k}" for k in range(500))]
    arrays = {f"s.{k}": v for k, v in StringIndex.build(strings).items()}
    index = Tables.from_bytes(tables_bytes("test", arrays)).strings("s")
    assert [index[k] for k in range(len(index))] == strings
    assert all(index.find(s) == k for k, s in enumerate(strings))
    assert index.find("الى") == index.find("w500") == index.find("🙃") == -1


def test_shipped_lexicon_tables_hold_the_tsv_counts():
    counts, bigrams = _tsv(DEFAULT_MODEL_DIR / LEXICON_FILE)
    tables = LexiconTables.open(DEFAULT_MODEL_DIR / LEXICON_TABLES_FILE)
    lexicon = Lexicon.from_tables(tables)
    assert len(lexicon.counts) == len(counts) and len(lexicon.bigrams) == len(bigrams)
    assert all(tables.count(word) == count for word, count in counts.items())
    assert all(tables.bigram(a, b) == count for (a, b), count in random.Random(7).sample(sorted(bigrams.items()), 20_000))
    assert not lexicon.knows("</s>") and tables.bigram("</s>", "في") == 0  # bigram-only words are not known


def test_tables_lexicon_suggests_as_the_dict_lexicon_on_real_text(tmp_path):
    """A lexicon turned into tables in memory and the same counts written and mapped from a file give the
    same suggestions and context scores for every word of the sample (with bigrams and ties)."""
    words = sorted({t.text for line in _sample_lines() for t in model_tokens(line)})
    shipped = Lexicon.from_tables(LexiconTables.open(DEFAULT_MODEL_DIR / LEXICON_TABLES_FILE))
    folds = {w for word in words for w, _ in shipped.tables.spellings(shipped.tables.fold(word))}
    counts = {w: shipped.counts[w] for w in sorted(folds | {w for w in words if w in shipped.counts})}
    bigrams = {(a, b): c for a in words for b in words if (c := shipped.tables.bigram(a, b))}
    in_memory = Lexicon(counts, bigrams=bigrams)
    written = tmp_path / "lexicon.tables"
    from nahawi.lexicon_tables import write_lexicon_tables

    write_lexicon_tables(written, counts, bigrams)
    mapped = load_lexicon(written)
    for line in _sample_lines():
        tokens = [t.text for t in model_tokens(line)]
        for index, word in enumerate(tokens):
            around = neighbours(tokens, index)
            assert in_memory.suggestion_in_context(word, *around) == mapped.suggestion_in_context(word, *around)
            assert in_memory.context_score(word, *around) == mapped.context_score(word, *around)
    assert dict(mapped.counts) == counts and dict(mapped.bigrams) == bigrams


def test_shipped_punctuation_tables_mark_as_the_json_model():
    text = "\n".join(_sample_lines())
    text += "\n" + " ".join("".join(ch for ch in text if not is_punct_char(ch)).split())
    parsed = load_punctuation(DEFAULT_MODEL_DIR / "punctuation.json.gz")
    mapped = load_punctuation(DEFAULT_MODEL_DIR / "punctuation.tables")
    for threshold in (0.2, 0.4):
        expected = punct_stage.punctuation_edits(text, [], parsed, threshold)
        assert expected and punct_stage.punctuation_edits(text, [], mapped, threshold) == expected


def test_a_line_read_in_windows_gets_the_marks_of_one_pass(monkeypatch):
    """The stage tokenises a long line a window at a time; cut at spaces every 37 characters it places
    the same marks as in one window."""
    model = load_punctuation(DEFAULT_MODEL_DIR / "punctuation.tables")
    flat = " ".join(_sample_lines()).replace("،", " ، ").replace(".", "")
    one_pass = punct_stage.punctuation_edits(flat, [], model, 0.3)
    monkeypatch.setattr(punct_stage, "_windows", lambda line, size=37: _small_windows(line, size))
    assert one_pass and punct_stage.punctuation_edits(flat, [], model, 0.3) == one_pass


def _small_windows(line, size):
    start = 0
    while start < len(line):
        match = re.compile(r"\s").search(line, min(len(line), start + size))
        end = match.start() if match else len(line)
        yield start, end
        start = end


def test_punct_candidates_cover_every_punctuation_character():
    """The tokeniser looks only at non-word, non-space characters and "_": no other character is P* or S*."""
    candidate = re.compile(r"[^\w\s]|_")
    missed = [hex(c) for c in range(sys.maxunicode + 1)
              if not 0xD800 <= c < 0xE000 and is_punct_char(chr(c)) and not candidate.match(chr(c))]
    assert missed == []


def test_tables_built_from_another_lexicon_are_refused(tmp_path):
    import shutil

    model = tmp_path / "model"
    shutil.copytree(DEFAULT_MODEL_DIR, model)
    document = json.loads((model / "model.json").read_text(encoding="utf-8"))
    from nahawi.lexicon_tables import write_lexicon_tables
    from nahawi.model_dir import file_record

    write_lexicon_tables(model / LEXICON_TABLES_FILE, {"في": 3})
    document["files"][LEXICON_TABLES_FILE] = file_record(model / LEXICON_TABLES_FILE)
    (model / "model.json").write_text(json.dumps(document), encoding="utf-8")
    with pytest.raises(ModelError, match="built from another lexicon.tsv.gz"):
        load_model_info(model)
    assert write_tables_files(model) == ["lexicon.tables", "punctuation.tables"]
    document["files"][LEXICON_TABLES_FILE] = file_record(model / LEXICON_TABLES_FILE)
    (model / "model.json").write_text(json.dumps(document), encoding="utf-8")
    assert load_model_info(model).recorded[LEXICON_TABLES_FILE]


def _python_peak_mb(function) -> float:
    tracemalloc.start()
    try:
        function()
        return tracemalloc.get_traced_memory()[1] / 1e6
    finally:
        tracemalloc.stop()


def test_loading_the_default_statistics_allocates_no_word_objects():
    """As dicts the default lexicon and punctuation model allocated ~180 MB of Python objects."""
    info = load_model_info(DEFAULT_MODEL_DIR, verify_hashes=False)
    from nahawi.engine.corrector import _lexicon, _stats_path

    assert _python_peak_mb(lambda: _lexicon(info, info.policy)) < 5
    assert _python_peak_mb(lambda: load_punctuation(_stats_path(info, "punctuation.json.gz"))) < 15


def test_one_long_line_is_marked_in_bounded_memory():
    """One 600 KB line without a mark: the stage held a token per word of it (~40 MB per MB of text)."""
    model = load_punctuation(DEFAULT_MODEL_DIR / "punctuation.tables")
    flat = " ".join("".join(ch for ch in " ".join(_sample_lines()) if not is_punct_char(ch)).split())
    line = " ".join([flat] * (600_000 // len(flat.encode("utf-8")) + 1))
    assert _python_peak_mb(lambda: punct_stage.punctuation_edits(line, [], model)) < 8
