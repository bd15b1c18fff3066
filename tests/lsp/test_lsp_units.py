"""The server's pure parts on real text: Markdown prose ranges, positions in every LSP encoding (Arabic,
diacritics, tatweel, emoji, CRLF), document changes, settings parsing, the dictionary's word handling, and
the context a recorded decision keeps."""
from __future__ import annotations

import json
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st
from lsprotocol import types
from pygls.workspace.position_codec import PositionCodec

from lsp_server.diagnostics import LineIndex, display_span, kind_link, kinds_page
from lsp_server.dictionary import Dictionary, words_at
from lsp_server.documents import apply_change, plan_document, update_plan
from lsp_server.markdown import overlaps, prose
from lsp_server.settings import DEFAULT_SEVERITY, Settings, parse_settings
from nahawi.kinds import KINDS
from nahawi.profile.decisions import CONTEXT_CHARS, decision_context
from nahawi.profile.writer import Neighbours
from nahawi.text.segment import segment_text

WRONG = "ذهب الطالب الى المدرسة"
TEXTS = st.text(alphabet="ابتثجحخدذرسشصضطظعغفقكلمنهويءأإآؤئةى \u064e\u064b\u0651\u0640😀🇸🇦\r\n،.a", max_size=60)


def kept(document: str, markdown: bool = True) -> list[str]:
    """The words that survive as prose."""
    return prose(document, markdown).text.split()


def test_markdown_prose_skips_code_urls_front_matter_and_ignored_regions():
    document = (f"---\ntitle: {WRONG}\n---\n# عنوان\n\n{WRONG} `كود الى` و[رابط](https://x.org/الى \"t\")\n\n"
                f"```python\n{WRONG}\n```\n\n    {WRONG}\n\n- بند **مهم** <b>غامق</b> www.nahawi.org/الى\n"
                f"<!-- nahawi: ignore -->\n{WRONG}\n<!-- nahawi: enable -->\n> اقتباس\n")
    assert kept(document) == ["عنوان", *WRONG.split(), "و", "رابط", "بند", "مهم", "غامق", "اقتباس"]
    assert len(prose(document, True).text) == len(document)


def test_prose_keeps_offsets_line_breaks_and_plain_text():
    document = f"{WRONG}\r\n`{WRONG}` https://x.org/a.\n"
    plain = prose(document, markdown=False)
    assert plain.text == document.replace("https://x.org/a", " " * len("https://x.org/a"))
    assert plain.text.count("\r\n") == 1 and len(plain.text) == len(document)
    assert "`" in plain.text  # inline code is a Markdown idea
    markdown = prose(document, markdown=True)
    assert markdown.text.split() == WRONG.split() + ["."]


def test_list_continuation_is_prose_and_indented_code_is_not():
    assert kept(f"- بند\n\n    {WRONG}\n") == ["بند", *WRONG.split()]
    assert kept(f"فقرة\n\n    {WRONG}\n") == ["فقرة"]


def test_overlaps_counts_insertions_only_inside_a_span():
    spans = ((5, 10),)
    assert overlaps(spans, 9, 12) and overlaps(spans, 7, 7) and overlaps(spans, 4, 6)
    assert not overlaps(spans, 10, 10) and not overlaps(spans, 5, 5) and not overlaps(spans, 0, 5)


@settings(max_examples=150, deadline=None)
@given(TEXTS, st.sampled_from([types.PositionEncodingKind.Utf8, types.PositionEncodingKind.Utf16,
                               types.PositionEncodingKind.Utf32]))
def test_positions_round_trip_in_every_encoding(text, encoding):
    index = LineIndex(text, PositionCodec(encoding))
    for offset in range(len(text) + 1):
        if text[offset - 1:offset + 1] == "\r\n":
            continue  # inside a line break: no position of its own
        assert index.offset(index.position(offset)) == offset


def test_positions_count_utf16_units_and_utf8_bytes():
    text = "سطر\r\n😀 مَرْحَبًا ـ الى"
    offset = text.index("الى")
    assert LineIndex(text, PositionCodec(types.PositionEncodingKind.Utf16)).position(offset) == \
        types.Position(line=1, character=offset - 5 + 1)  # the emoji takes two UTF-16 units
    utf8 = len(text[5:offset].encode("utf-8"))
    assert LineIndex(text, PositionCodec(types.PositionEncodingKind.Utf8)).position(offset) == \
        types.Position(line=1, character=utf8)


@settings(max_examples=150, deadline=None)
@given(TEXTS.filter(len), st.data())
def test_a_change_replaces_exactly_the_range_the_client_names(text, data):
    codec = PositionCodec(types.PositionEncodingKind.Utf16)
    index = LineIndex(text, codec)
    start = data.draw(st.integers(0, len(text)))
    end = data.draw(st.integers(start, len(text)))
    if "\r\n" in (text[start - 1:start + 1], text[end - 1:end + 1]):
        return  # inside a line break: no position of its own
    change = types.TextDocumentContentChangePartial(range=index.range(start, end), text="أ\u2028ب")
    assert apply_change(text, change, codec) == (text[:start] + "أ\u2028ب" + text[end:], (start, end, start + 3))


def test_changes_apply_in_order_and_a_whole_document_change_replaces_everything():
    codec = PositionCodec(types.PositionEncodingKind.Utf16)
    text = "سطر\u2028ثان\nثالث"
    first = types.TextDocumentContentChangePartial(range=types.Range(start=types.Position(line=1, character=0),
                                                                     end=types.Position(line=1, character=1)),
                                                   text="ب")
    text, _ = apply_change(text, first, codec)
    assert text == "سطر\u2028ثان\nبالث"  # U+2028 is not a line break in LSP
    whole = types.TextDocumentContentChangeWholeDocument(text="جديد")
    assert apply_change(text, whole, codec) == ("جديد", None)


def test_settings_fall_back_per_key_and_name_the_bad_ones():
    parsed, problems = parse_settings({"debounceMs": 50, "checkOn": "sometimes", "severity": {"hamza": "error",
                                       "spelling": "hint"}, "minConfidence": 2, "serverPath": "/x", "trace": {}})
    assert parsed.debounce_ms == 50 and parsed.check_on == "change" and parsed.min_confidence is None
    assert parsed.severity == {**DEFAULT_SEVERITY, "hamza": "error"}
    assert problems == ["nahawi.checkOn", "nahawi.severity.spelling", "nahawi.minConfidence"]
    assert parse_settings(None) == (Settings(), []) and parse_settings("x") == (Settings(), ["nahawi"])
    assert parse_settings({"strict": True}) == (Settings(strict=True), [])
    assert parse_settings({"strict": "yes"}) == (Settings(), ["nahawi.strict"])
    assert parse_settings({"latinMarks": True}) == (Settings(latin_marks=True), [])
    assert parse_settings({"learner": True}) == (Settings(learner=True), [])
    assert parse_settings({"learner": "on"}) == (Settings(), ["nahawi.learner"])
    assert parse_settings({"latinMarks": 1}) == (Settings(), ["nahawi.latinMarks"])
    page = "https://example.org/nahawi/kinds.html"
    assert parse_settings({"kindsDocumentation": page}) == (Settings(kinds_documentation=page), [])
    for bad in ("kinds.md", "ftp://example.org/kinds", f"{page}#hamza", 3):
        assert parse_settings({"kindsDocumentation": bad}) == (Settings(), ["nahawi.kindsDocumentation"])


def test_the_kinds_page_has_a_section_per_kind_in_both_languages():
    """Each diagnostic links to its kind's section of docs/kinds.md (codeDescription)."""
    page = (Path(__file__).resolve().parents[2] / "docs" / "kinds.md").read_text(encoding="utf-8")
    for kind in KINDS.values():
        section = page.split(f'<a id="{kind.id}"></a>', 1)[1].split("<a id=", 1)[0]
        for text in (kind.name_ar, kind.name_en, kind.explain_ar, kind.explain_en):
            assert text in section, (kind.id, text)
    settings = Settings(kinds_documentation="https://example.org/k.html")
    assert kind_link("hamza", kinds_page(settings)) == "https://example.org/k.html#hamza"


def test_dictionary_words_and_files(tmp_path):
    text = "قرأت «الكتاب»، ثم نمت"
    start = text.index("الكتاب")
    assert words_at(text, start, start + 2) == ["«الكتاب»،"]
    assert words_at(text, start + 2, start + 2) == ["«الكتاب»،"]
    assert words_at(text, start - 2, start - 2) == []  # an insertion between words changes none
    dictionary = Dictionary(tmp_path / "d" / "dictionary.txt")
    dictionary.load()
    assert dictionary.add("«الكتـــاب»،") == "الكتاب"
    assert dictionary.touches(text, start, start + 1)
    (tmp_path / "d" / "dictionary.txt").write_text("# words\nالكتاب\nنمت\n", encoding="utf-8")
    dictionary.reload_if_changed()
    assert "نمت" in dictionary and "ثم" not in dictionary


MARKDOWN_PIECES = st.sampled_from(["ذهب الطالب الى المدرسة", "اريد ان اتعلم.", "\n", "\n\n", "\r\n", "# ", "- ",
                                   "    ", "`", "```", "<!-- ", " -->", "https://x.org/الى", "**", "---", "\u2028",
                                   "1. ", "> ", "[رابط](https://x.org)", "<!-- nahawi: ignore -->", "\t", "~~~",
                                   "<b>", " ", "؟ ", "\r"])
DOCUMENTS = st.lists(MARKDOWN_PIECES, max_size=14).map("".join)


@settings(max_examples=1000, deadline=None)
@given(DOCUMENTS, DOCUMENTS, st.data(), st.booleans())
def test_a_plan_updated_for_an_edit_is_the_plan_of_the_new_text(text, inserted, data, markdown):
    """Issue 14: an edit re-reads only its line or paragraph; what it finds must be what reading the whole
    new document finds (prose, skipped spans as far as they hide text, sentences)."""
    language = "markdown" if markdown else "plaintext"
    start = data.draw(st.integers(0, len(text)))
    end = data.draw(st.integers(start, len(text)))
    new_text = text[:start] + inserted + text[end:]
    plan = update_plan(plan_document(text, language, 4), text, new_text, start, end, start + len(inserted))
    fresh = plan_document(new_text, language, 4)
    assert plan.prose.text == fresh.prose.text
    assert plan.segments == fresh.segments
    hidden = [(k, k) for k in range(len(new_text) + 1) if overlaps(fresh.prose.skipped, k, k)]
    assert [(k, k) for k in range(len(new_text) + 1) if overlaps(plan.prose.skipped, k, k)] == hidden
    assert [k for k in range(len(new_text)) if overlaps(plan.prose.skipped, k, k + 1)] == \
        [k for k in range(len(new_text)) if overlaps(fresh.prose.skipped, k, k + 1)]


def test_a_paragraph_read_again_is_no_front_matter_unless_it_starts_the_document():
    # hypothesis found it: `---` then `---` read alone is a front matter block (the newline between them
    # hidden too); in the document, after a paragraph, they are two rules
    text = "ذهب الطالب الى المدرسة\n\n---"
    for inserted in ("\n---", "\n---\r"):
        new_text = text + inserted
        plan = update_plan(plan_document(text, "markdown", 4), text, new_text, len(text), len(text), len(new_text))
        fresh = plan_document(new_text, "markdown", 4)
        assert (plan.prose.text, plan.prose.skipped) == (fresh.prose.text, fresh.prose.skipped)
    # an edit in a document's first paragraph that opens front matter closing further on: read whole
    text = "--\ntitle: x\n\nكلمة\n---\n\nذهب الطالب"
    new_text = "-" + text
    plan = update_plan(plan_document(text, "markdown", 4), text, new_text, 0, 0, 1)
    assert plan.prose == plan_document(new_text, "markdown", 4).prose and "كلمة" not in plan.prose.text


def test_an_insertion_is_shown_on_the_word_before_it():
    text = "العلم نور\nوالجهل ظلام 😀\n\nكلمة"
    end = text.index("نور") + 3
    assert display_span(text, end, end) == (text.index("نور"), end)
    assert display_span(text, end + 1, end + 1) == (end + 1, end + 1 + len("والجهل"))  # line start: the next word
    emoji = text.index("😀") + 1
    assert display_span(text, emoji, emoji) == (emoji - 1, emoji)
    blank = text.index("\n\n") + 1
    assert display_span(text, blank, blank) == (blank, blank)  # an empty line has no word
    assert display_span(text, 3, 5) == (3, 5)


def test_a_frame_with_a_lone_surrogate_is_valid_utf8():
    """A client may send text with a lone surrogate; diagnostics quoting it must still be valid UTF-8."""
    from lsp_server.transport import FrameReader, encode_frame

    frame = encode_frame('{"text": "كلمة \ud800"}')
    frame.decode("utf-8")
    (parsed,) = FrameReader().feed(frame)
    assert json.loads(parsed.body) == {"text": "كلمة \ud800"}


def test_alternatives_are_other_known_spellings_ranked_by_their_neighbours():
    from nahawi.alternatives import alternatives
    from nahawi.contract import Edit
    from nahawi.lexicon import Lexicon, LexiconConfig

    counts = {"أن": 900, "إن": 300, "آن": 40, "ان": 50, "أآن": 1, "قال": 500, "يجب": 400, "الله": 300}
    bigrams = {("قال", "إن"): 200, ("يجب", "أن"): 300, ("إن", "الله"): 150}
    lexicon = Lexicon(counts, LexiconConfig(min_count=3), bigrams)
    text = "قال ان الله غفور\nيجب ان نذهب"
    first = Edit(4, 6, "أن", "hamza", "lexicon", "ان")
    assert alternatives(lexicon, text, 4, first) == ("إن", "آن")  # never the written word, nor the choice
    second = Edit(21, 23, "إن", "hamza", "lexicon", "ان")
    assert alternatives(lexicon, text, 21, second) == ("أن", "آن")
    assert alternatives(lexicon, text, 4, Edit(4, 6, "أن", "spacing", "x", "ان")) == ()  # not a spelling kind
    assert alternatives(None, text, 4, first) == ()
    assert alternatives(lexicon, text, 4, Edit(4, 6, "إذ", "hamza", "x", "ان")) == ()  # not the same word


def test_a_decisions_context_in_a_run_on_sentence_keeps_the_span_and_its_neighbours():
    """A sentence without a full stop can be a whole document: the decision keeps the engine's segments
    (64 words) holding CONTEXT_CHARS either side, so the neighbours "ignore here" and nahawi.adapt key it
    by are those the engine saw."""
    sentence = "😀 كلمةٌ أخرى " * 120 + WRONG + " في الصباح" * 120
    start = sentence.index("الى")
    text, a, b = decision_context(sentence, start, start + 3)
    segments = segment_text(sentence)
    assert text[a:b] == "الى" and len(text) <= 2 * CONTEXT_CHARS + 3 + 2 * max(len(s.text) for s in segments)
    left = sentence.index(text)
    assert left in {s.start for s in segments} and left + len(text) in {s.end for s in segments}
    assert Neighbours(text).key(a, b, "إلى") == Neighbours(sentence).key(start, start + 3, "إلى")
    assert decision_context(WRONG, 11, 14) == (WRONG, 11, 14)
