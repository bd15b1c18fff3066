"""Other spellings to offer beside the engine's fix of a hamza, ta marbuta or alif maqsura finding.

The engine chooses one correction per finding; for these kinds the model's lexicon knows every spelling of
the word that differs only by those letters (`ان` → أن, إن, آن), with corpus counts and, in the shipped
model, bigram counts. Owns picking up to `MAX_ALTERNATIVES` of them, ranked by how well each fits between
the neighbouring words (`Lexicon.context_score`), never the written word or the engine's choice, never a
spelling seen fewer than the lexicon's `min_count` times. The engine's choice and its edits are unchanged:
these only become extra suggestions (quick fixes in the language server). Knows nothing of editors; reads
the lexicon through its public methods.
"""
from __future__ import annotations

import re

from nahawi.contract import Edit
from nahawi.lexicon import SENTENCE_END, SENTENCE_START, Lexicon, fold_variants

MAX_ALTERNATIVES = 2  # with the engine's own fix: up to three suggestions per finding
KINDS = frozenset({"hamza", "ta_marbuta", "alif_maqsura"})
_WORD = re.compile(r"[\u0621-\u063a\u0641-\u064a\u0671-\u06d3]+")  # Arabic letters, no marks


def alternatives(lexicon: Lexicon | None, text: str, start: int, edit: Edit) -> tuple[str, ...]:
    """Spellings besides edit.replacement for the word text[start:start + len(edit.original)], best first."""
    word, chosen = edit.original, edit.replacement
    if lexicon is None or edit.kind not in KINDS or not _WORD.fullmatch(word) or not _WORD.fullmatch(chosen):
        return ()
    key = fold_variants(word)
    if fold_variants(chosen) != key:
        return ()
    floor = lexicon.config.min_count
    candidates = [w for w, count in lexicon.tables.spellings(key) if count >= floor and w not in (word, chosen)]
    if not candidates:
        return ()
    before, after = lexicon.as_context(_neighbours(text, start, start + len(word)))
    ranked = sorted(candidates, key=lambda w: (-lexicon.context_score(w, before, after), w))
    return tuple(ranked[:MAX_ALTERNATIVES])


def _neighbours(text: str, start: int, end: int) -> tuple[str, str]:
    """The Arabic words either side of text[start:end] on its line, or the sentence boundaries."""
    line_start = max(text.rfind("\n", 0, start), text.rfind("\r", 0, start)) + 1
    line_end = min((k for k in (text.find("\n", end), text.find("\r", end)) if k >= 0), default=len(text))
    before = _WORD.findall(text, line_start, start)
    after = _WORD.search(text, end, line_end)
    return (before[-1] if before else SENTENCE_START), (after.group() if after else SENTENCE_END)
