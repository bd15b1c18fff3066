"""The stage after the model: the model directory's edit policy (kinds and confidence the model is trusted
with, tuned on dev), a vocabulary safety net on model edits, then corpus word spacing (nahawi.spacing) and
the spelling-variant lexicon (nahawi.lexicon) on the words the model left alone.

Works on one segment's text and its edits (offsets into that text); knows nothing of sessions or search.
"""
from __future__ import annotations

from dataclasses import dataclass

from nahawi.contract import Edit
from nahawi.edits import classify_edit, respacing_edits
from nahawi.kinds import KIND_GROUP
from nahawi.lexicon import (
    Lexicon,
    SplitWord,
    fold_variants,
    neighbours,
    word_after,
    word_before,
)
from nahawi.spacing import Spacing
from nahawi.tables import Memo
from nahawi.text.chars import ARABIC_LETTERS, DIACRITICS, TATWEEL, strip_diacritics
from nahawi.text.punct import is_punct_char
from nahawi.text.tokens import Token, model_tokens

UNCHECKED_KINDS = frozenset({"punctuation"})


@dataclass(frozen=True)
class EditPolicy:
    """Which model edits are shown; stored in model.json (`policy`) and tuned on QALB-2014 dev."""

    min_confidence: float = 0.0  # model edits below this confidence are dropped
    kinds: frozenset[str] | None = None  # kinds the model may propose (None: all)
    prefer_lexicon: bool = False  # where the lexicon has a suggestion for a word, it wins over the model
    context_check: bool = False  # a model respelling of one word must not go against the lexicon's context
    tagger_word_threshold: float = 0.5  # least probability of a tagger word edit (its tag's)
    tagger_mark_threshold: float = 0.5  # least probability of a tagger punctuation edit
    tagger_kind_thresholds: tuple[tuple[str, float], ...] = ()  # (group, threshold): overrides the word threshold
    tagger_passes: int = 1  # 2: the tagger reads again what its edits above these thresholds wrote
    # the model's edits only on words the corpus stages (lexicon, spacing) leave alone: the learner policy's
    # seq2seq adds what the word lists cannot see, never overruling their spellings or joins
    model_fills_gaps: bool = False

    @classmethod
    def from_dict(cls, values) -> EditPolicy:
        kinds = values.get("kinds")
        return cls(float(values.get("min_confidence", 0.0)), None if kinds is None else frozenset(kinds),
                   bool(values.get("prefer_lexicon", False)), bool(values.get("context_check", False)),
                   float(values.get("tagger_word_threshold", cls.tagger_word_threshold)),
                   float(values.get("tagger_mark_threshold", cls.tagger_mark_threshold)),
                   tuple(sorted((group, float(least))
                                for group, least in (values.get("tagger_kind_thresholds") or {}).items())),
                   int(values.get("tagger_passes", 1)), bool(values.get("model_fills_gaps", False)))

    def tagger_threshold(self, kind: str) -> float:
        """The least probability of a tagger edit of `kind`."""
        if kind == "punctuation":
            return self.tagger_mark_threshold
        group = KIND_GROUP.get(kind)
        return next((least for name, least in self.tagger_kind_thresholds if name == group), self.tagger_word_threshold)

    def allows(self, edit: Edit) -> bool:
        if edit.rule_id == "tagger":
            return (edit.confidence if edit.confidence is not None else 0.0) >= self.tagger_threshold(edit.kind)
        if edit.rule_id != "model":
            return True
        if self.kinds is not None and edit.kind not in self.kinds:
            return False
        return (edit.confidence if edit.confidence is not None else 1.0) >= self.min_confidence


def _words(text: str) -> list[str]:
    return [t.text for t in model_tokens(text) if not all(map(is_punct_char, t.text))]


def plausible(edit: Edit, lexicon: Lexicon) -> bool:
    """False for a model edit that writes a word the corpus has never seen (a small model's inventions:
    merged or truncated words); punctuation and deletions are left to the edit policy."""
    if edit.kind in UNCHECKED_KINDS:
        return True
    return all(lexicon.knows(bare(word)) for word in _words(edit.replacement))


def context_agrees(tokens: list[Token], edit: Edit, lexicon: Lexicon, context: list[str]) -> bool:
    """False for a model edit that respells one word (hamza, ta marbuta, alif maqsura) into a spelling the
    lexicon's bigram context scores lower than the written one; True for anything else. `tokens` are the
    segment's `model_tokens`, `context` the segment's `lexicon.as_context` of their bare words."""
    if not lexicon.bigrams or fold_variants(edit.original) != fold_variants(edit.replacement):
        return True
    for index, token in enumerate(tokens):
        if (token.start, token.end) == (edit.start, edit.end):
            before, after = neighbours(context, index)
            return lexicon.context_score(edit.replacement, before, after) > lexicon.context_score(token.text, before, after)
    return True


def _overlaps(edit: Edit, start: int, end: int) -> bool:
    return edit.start < end and start < edit.end or edit.start == edit.end == start


def lexicon_edits(text: str, taken: list[Edit], lexicon: Lexicon, tokens: list[Token] | None = None,
                  words: list[str] | None = None, context: list[str] | None = None) -> list[Edit]:
    """Usual-spelling edits, and stretched words unstretched, for words outside every span in `taken`
    (`tokens`: text's `model_tokens`; `words`: their `bare` texts; `context`: `lexicon.as_context(words)`)."""
    edits = []
    tokens = model_tokens(text) if tokens is None else tokens
    words = [bare(t.text) for t in tokens] if words is None else words  # the corpus counts words bare
    context = lexicon.as_context(words) if context is None else context
    for index, token in enumerate(tokens):
        if taken and any(_overlaps(e, token.start, token.end) for e in taken):
            continue
        found = lexicon.suggestion_in_context(words[index], *neighbours(context, index))
        written = unstretched(token.text, words[index])
        if found is None and written == token.text:
            continue
        better, confidence = (written, 1.0) if found is None else (with_marks(written, found[0]), found[1])
        edits.append(Edit(token.start, token.end, better, _kind(token.text, better), rule_id="lexicon",
                          original=token.text, confidence=confidence))
    return edits


_KINDS = Memo(1 << 12)  # (original, replacement) -> its kind: the same respellings recur, and difflib is slow


def _kind(original: str, replacement: str) -> str:
    kind = _KINDS.get((original, replacement))
    return _KINDS.remember((original, replacement), classify_edit(original, replacement)) if kind is None else kind


bare = strip_diacritics  # a word without diacritics (tashkeel) and tatweel: how the corpus counts it


def unstretched(written: str, word: str) -> str:
    """written without the tatweel (kashida) that stretches its letters (`علــى` → `على`), when its bare form
    `word` is an Arabic word: a stretch is typography the reviewers take out, never spelling."""
    if TATWEEL not in written or len(word) < 2 or not ARABIC_LETTERS.issuperset(word):
        return written
    return written.replace(TATWEEL, "")


def with_marks(written: str, respelled: str) -> str:
    """respelled (a spelling of bare(written)) with the diacritics and tatweel the writer put on the letters
    it keeps, when the two have the same letters one for one (`المَدْرَسه` → `المَدْرَسة`); else respelled."""
    if written == bare(written) or len(bare(written)) != len(respelled):
        return respelled
    letters = iter(respelled)
    return "".join(ch if ch in DIACRITICS or ch == TATWEEL else next(letters) for ch in written)


def _absorbable(touching: list[Edit], token: Token, following: Token) -> bool:
    """Whether a join of the two tokens may absorb the edits touching them: each rewrites one of the two
    words, or both as one word."""
    spans = {(token.start, token.end), (following.start, following.end), (token.start, following.end)}
    return all((e.start, e.end) in spans and " " not in e.replacement.strip() for e in touching)


def spacing_edits(text: str, taken: list[Edit], spacing: Spacing, lexicon: Lexicon, tokens: list[Token] | None = None,
                  words: list[str] | None = None, context: list[str] | None = None) -> tuple[list[Edit], list[Edit]]:
    """Joins and splits of words, and the edits in `taken` they absorb. A join may absorb an edit that
    rewrites exactly one of its two words (`و انا` with `انا` → `أنا` becomes `وأنا`); anything else in
    `taken` blocks the words it touches. New words take their usual spelling, a joined one as its neighbours
    read it. (`tokens`: text's `model_tokens`; `words`: their `bare` texts; `context`: `lexicon.as_context(words)`.)"""
    tokens = model_tokens(text) if tokens is None else tokens
    words = [bare(t.text) for t in tokens] if words is None else words
    context = lexicon.as_context(words) if context is None else context
    edits, absorbed, index = [], [], 0
    while index < len(tokens):
        token = tokens[index]
        following = tokens[index + 1] if index + 1 < len(tokens) else None
        joined, replacement = None, None
        if following is not None:
            touching = [e for e in taken if _overlaps(e, token.start, following.end)] if taken else []
            if not touching or _absorbable(touching, token, following):
                joined = spacing.join(words[index], words[index + 1])
        if joined is not None:
            by_span = {(e.start, e.end): e for e in touching}
            pair = [by_span[t.start, t.end].replacement if (t.start, t.end) in by_span else t.text
                    for t in (token, following)]
            if (token.start, following.end) not in by_span and all(pair):
                joined = pair[0] + pair[1]
            start, end = token.start, following.end
            before, after = word_before(context, index), word_after(context, index + 1)
            word = bare(joined)  # spelt as its neighbours read it, else as usual
            replacement = with_marks(joined, lexicon.suggest_in_context(word, before, after) or lexicon.suggest(word)
                                     or word)
            absorbed += touching
        elif not (taken and any(_overlaps(e, token.start, token.end) for e in taken)):
            parts = spacing.split(words[index])
            start, end = token.start, token.end
            replacement = " ".join(lexicon.suggest(w) or w for w in parts) if parts else None
        if replacement is not None:
            edits += respacing_edits(start, text[start:end], replacement)
        index += 2 if joined is not None else 1
    return edits, absorbed


def read_context(lexicon: Lexicon, spacing: Spacing | None, words: list[str]) -> list[str]:
    """`lexicon.as_context(words)`, a word the spacing stage will split read by each neighbour as the part
    beside it (`SplitWord`)."""
    context = lexicon.as_context(words)
    if spacing is None:
        return context
    for index, word in enumerate(words):
        parts = spacing.split(word)
        if parts:
            context[index] = SplitWord(context[index], [lexicon.suggest(part) or part for part in parts])
    return context


def refine(text: str, model_edits: tuple[Edit, ...], lexicon: Lexicon | None,
           policy: EditPolicy = EditPolicy(), spacing: Spacing | None = None) -> tuple[Edit, ...]:
    kept = [e for e in model_edits if policy.allows(e) and (lexicon is None or plausible(e, lexicon))]
    if lexicon is None:
        return tuple(kept)
    tokens = model_tokens(text)  # once for every stage below
    words = [bare(t.text) for t in tokens]
    context = read_context(lexicon, spacing, words)
    if policy.context_check:
        kept = [e for e in kept if context_agrees(tokens, e, lexicon, context)]
    if policy.prefer_lexicon:
        suggested = lexicon_edits(text, [], lexicon, tokens, words, context)
        kept = [e for e in kept if not any(_overlaps(e, s.start, s.end) for s in suggested)]
    if policy.model_fills_gaps:
        corpus = _corpus_edits(text, [], lexicon, spacing, tokens, words, context)
        kept = [e for e in kept if not any(_overlaps(e, c.start, c.end) for c in corpus)]
        return tuple(sorted(corpus + kept, key=lambda e: (e.start, e.end)))
    return tuple(sorted(_corpus_edits(text, kept, lexicon, spacing, tokens, words, context),
                        key=lambda e: (e.start, e.end)))


def _corpus_edits(text: str, kept: list[Edit], lexicon: Lexicon, spacing: Spacing | None, tokens: list[Token],
                  words: list[str], context: list[str]) -> list[Edit]:
    """kept (model edits), less those a join absorbed, with the spacing and lexicon edits around them."""
    if spacing is not None:
        joins, absorbed = spacing_edits(text, kept, spacing, lexicon, tokens, words, context)
        kept = [e for e in kept if not any(e is a for a in absorbed)] + joins
    return kept + lexicon_edits(text, kept, lexicon, tokens, words, context)
