"""`nahawi train lexicon`: which corpus files it counts, and the books' hamza seats counted in the news' form."""
from __future__ import annotations

import gzip

import pytest
from typer.testing import CliRunner

from nahawi.lexicon import load_lexicon

NEWS = "قال المسؤول إن الشؤون العامة تحسنت .\nوقال المسؤول إن الوضع هادئ .\n"
BOOKS = "كان المسئول عن الشئون رجلا هادئا .\nوكان المسئول صادقا .\n"
SEATS = ("hindawi_form\thindawi_count\tnews_form\tnews_count(news form)\tnews_count(hindawi form)\t"
         "hindawi_count(news form)\nالمسئول\t50\tالمسؤول\t40\t1\t2\nالشئون\t30\tالشؤون\t20\t0\t1\n")


@pytest.fixture
def corpus(tmp_path):
    root = tmp_path / "corpus"
    root.mkdir()
    for name, text in (("news.txt.gz", NEWS), ("hindawi_books.txt.gz", BOOKS), ("other.txt.gz", "كلمة أخرى\n" * 3)):
        with gzip.open(root / name, "wt", encoding="utf-8") as handle:
            handle.write(text)
    (root / "hindawi_hamza_seat_variants.tsv").write_text(SEATS, encoding="utf-8")
    return root


def _lexicon(corpus, tmp_path, *options):
    from nahawi.cli.train import app

    out = tmp_path / "lexicon.tsv.gz"
    result = CliRunner().invoke(app, ["lexicon", "--out", str(out), "--corpus-root", str(corpus), "--min-count", "1",
                                      *options])
    assert result.exit_code == 0, result.output
    return load_lexicon(out)


def test_the_named_files_only_are_counted(corpus, tmp_path):
    lexicon = _lexicon(corpus, tmp_path, "--files", "news.txt.gz")
    assert lexicon.counts["المسؤول"] == 2 and "كلمة" not in lexicon.counts and "كان" not in lexicon.counts
    everything = _lexicon(corpus, tmp_path)
    assert everything.counts["كلمة"] == 3


def test_the_books_cairo_hamza_seats_are_counted_in_the_news_form(corpus, tmp_path):
    lexicon = _lexicon(corpus, tmp_path, "--files", "news.txt.gz,hindawi_books.txt.gz")
    assert lexicon.counts["المسؤول"] == 4 and lexicon.counts["الشؤون"] == 2
    assert "المسئول" not in lexicon.counts and "الشئون" not in lexicon.counts
    cairo = _lexicon(corpus, tmp_path, "--files", "news.txt.gz,hindawi_books.txt.gz", "--no-news-hamza-seats")
    assert cairo.counts["المسئول"] == 2 and cairo.counts["المسؤول"] == 2


def test_a_missing_file_is_named(corpus, tmp_path):
    from nahawi.cli.train import app

    result = CliRunner().invoke(app, ["lexicon", "--out", str(tmp_path / "x.tsv.gz"), "--corpus-root", str(corpus),
                                      "--files", "news.txt.gz,absent.txt.gz"])
    assert result.exit_code != 0 and "absent.txt.gz" in str(result.output) + str(result.exception)


def test_pairs_also_written_as_one_word_are_counted(tmp_path):
    # The spacing stage weighs «يا رب» against «يارب»: the pair is kept because its joined form is a counted
    # word, though neither word has other spellings; a pair whose joined form is never written is not.
    root = tmp_path / "corpus"
    root.mkdir()
    with gzip.open(root / "news.txt.gz", "wt", encoding="utf-8") as handle:
        handle.write("يا رب احفظ البلد .\nيا رب ارحمنا .\nيارب ارحمنا .\nيا قوم اسمعوا .\n")
    lexicon = _lexicon(root, tmp_path)
    assert lexicon.counts["يارب"] == 1 and lexicon.bigrams[("يا", "رب")] == 2
    assert ("يا", "قوم") not in lexicon.bigrams and ("رب", "احفظ") not in lexicon.bigrams
