"""What a profile changes in a correction: the writer's adaptation as the engine applies it.

`WriterModel` holds a profile's dictionary, vocabulary overlay and learned.json, and gives the engine:
- `lexicon(lexicon)`: the corpus lexicon with the writer's words and pairs added (nahawi.profile.overlay)
  and its gate's weights moved by the writer's (an ignored suggestion lowered the weight of each of its
  features, an accepted one raised it: nahawi.profile.learn);
- `punctuation(model)`: the punctuation model with the writer's weights added to the rows of its features,
  per mark (adding w to a mark's score adds w to its log-odds, so this is the same refit);
- `keep(text, edits)`: the edits to show: not changing a dictionary word, at least the writer's threshold
  of their kind, not a (word, replacement) pair the writer keeps ignoring, not one they ignored between the
  same two neighbours.
With an empty profile every one of these is the identity. Knows nothing of files (nahawi.profile.store) or
of how the weights were fitted.
"""
from __future__ import annotations

import copy
import dataclasses
import logging
from bisect import bisect_left, bisect_right
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from nahawi.contract import Edit
from nahawi.lexicon import Lexicon
from nahawi.lexicon_gate import LexiconGate
from nahawi.profile.adapter import TaggerAdapter, load_adapter
from nahawi.profile.overlay import OverlayConfig, with_overlay
from nahawi.profile.store import ADAPTER, Profile, dictionary_form
from nahawi.punctuation import LABELS, PunctuationModel
from nahawi.text.punct import is_punct_char
from nahawi.text.segment import segment_text
from nahawi.text.tokens import model_tokens

log = logging.getLogger("nahawi.profile")

EDGE = "<edge>"  # the neighbour of a span at the start or end of its sentence


class Neighbours:
    """The tokens of one text (`model_tokens`) and its sentences (`segment_text`: the engine's segments, the
    language server's "sentence"), indexed to find the tokens either side of a span within its sentence.

    A neighbour in another sentence is EDGE: at the start of a paragraph (after a line break) or of a
    sentence the span has no token before it, whether the text is the document, its paragraph or the
    sentence alone, so a decision recorded on a paragraph (the app) or a sentence (the server) keys the
    suggestion as a check of the whole document does (`decision_context` keeps whole sentences).
    """

    def __init__(self, text: str):
        self.text, self.tokens = text, model_tokens(text)
        self.starts, self.ends = [t.start for t in self.tokens], [t.end for t in self.tokens]
        sentences = segment_text(text)
        self.sentence_starts, self.sentence_ends = [s.start for s in sentences], [s.end for s in sentences]

    def key(self, start: int, end: int, replacement: str) -> tuple[str, str, str, str]:
        """(token before, the span's text, token after, replacement): a suggestion as the writer saw it,
        for remembering where they ignored it."""
        sentence = bisect_right(self.sentence_starts, start) - 1
        left = self.sentence_starts[sentence] if sentence >= 0 else 0
        sentence = bisect_left(self.sentence_ends, end)
        right = self.sentence_ends[sentence] if sentence < len(self.sentence_ends) else len(self.text)
        before = bisect_right(self.ends, start) - 1
        after = bisect_left(self.starts, end)
        return (self.tokens[before].text if before >= 0 and self.tokens[before].start >= left else EDGE,
                self.text[start:end],
                self.tokens[after].text if after < len(self.tokens) and self.tokens[after].end <= right else EDGE,
                replacement)


class WriterRows(Mapping):
    """The punctuation model's weight rows with the writer's added: row(name) = base(name) + writer(name)."""

    def __init__(self, base: Mapping[str, Sequence[float]], writer: Mapping[str, Mapping[str, float]]):
        self.base = base
        self.writer = {name: [float(row.get(label, 0.0)) for label in LABELS] for name, row in writer.items()}

    def get(self, name, default=None):
        row, extra = self.base.get(name), self.writer.get(name)
        if extra is None:
            return default if row is None else row
        if row is None:
            return extra
        return [a + b for a, b in zip(row, extra)]

    def __getitem__(self, name):
        row = self.get(name)
        if row is None:
            raise KeyError(name)
        return row

    def __iter__(self):
        yield from self.base
        yield from (name for name in self.writer if name not in self.base)

    def __len__(self) -> int:
        return len(self.base) + sum(name not in self.base for name in self.writer)


@dataclass(frozen=True)
class WriterModel:
    words: Mapping[str, int] = field(default_factory=dict)  # the overlay's words ...
    pairs: Mapping[tuple[str, str], int] = field(default_factory=dict)  # ... and word pairs, with counts
    dictionary: frozenset[str] = frozenset()  # words never changed (dictionary_form)
    thresholds: Mapping[str, float] = field(default_factory=dict)  # kind -> least confidence shown
    gate: Mapping[str, float] = field(default_factory=dict)  # lexicon gate feature -> added weight
    punctuation_rows: Mapping[str, Mapping[str, float]] = field(default_factory=dict)  # feature -> mark -> weight
    suppressed_pairs: frozenset[tuple[str, str]] = frozenset()  # (original, replacement) never shown
    suppressed_contexts: frozenset[tuple[str, str, str, str]] = frozenset()  # Neighbours.key never shown
    overlay: OverlayConfig = field(default_factory=OverlayConfig)  # how much the overlay's counts weigh
    adapter: TaggerAdapter | None = None  # the writer's adapter on the edit tagger (nahawi.profile.adapter)

    @classmethod
    def from_profile(cls, profile: Profile, overlay: OverlayConfig = OverlayConfig(),
                     with_dictionary: bool = True) -> WriterModel:
        """The profile's adaptation (without its dictionary for a caller that filters with its own);
        ProfileError for a file that cannot be used."""
        words, pairs = profile.overlay()
        learned = profile.learned()
        dictionary = frozenset(profile.dictionary().words) if with_dictionary else frozenset()
        writer = cls.from_learned(words, pairs, learned, dictionary, overlay)
        return dataclasses.replace(writer, adapter=load_adapter(profile.file(ADAPTER)))

    def adapter_for(self, tagger) -> TaggerAdapter | None:
        """The adapter when it was fitted on this tagger (its graph's sha256), else None (said in the log)."""
        if self.adapter is None:
            return None
        if self.adapter.tagger_sha256 != tagger.fingerprint:
            log.warning("the profile's tagger adapter was fitted on another tagger; it is not used")
            return None
        return self.adapter

    @classmethod
    def from_learned(cls, words, pairs, learned: Mapping, dictionary: frozenset[str] = frozenset(),
                     overlay: OverlayConfig = OverlayConfig()) -> WriterModel:
        return cls(words, pairs, dictionary, dict(learned.get("thresholds", {})), dict(learned.get("gate", {})),
                   dict(learned.get("punctuation", {})),
                   frozenset(tuple(p) for p in learned.get("suppressed_pairs", [])),
                   frozenset(tuple(c) for c in learned.get("suppressed_contexts", [])), overlay)

    @property
    def empty(self) -> bool:
        return not (self.words or self.pairs or self.dictionary or self.thresholds or self.gate
                    or self.punctuation_rows or self.suppressed_pairs or self.suppressed_contexts
                    or self.adapter is not None)

    def lexicon(self, lexicon: Lexicon | None) -> Lexicon | None:
        if lexicon is None:
            return None
        adapted = with_overlay(lexicon, self.words, self.pairs, self.overlay)
        if self.gate and lexicon.gate is not None:
            weights = dict(lexicon.gate.weights)
            for name, value in self.gate.items():
                weights[name] = weights.get(name, 0.0) + value
            adapted = copy.copy(adapted)  # the engine's own lexicon is never changed
            adapted.gate = LexiconGate(weights)
        return adapted

    def punctuation(self, model: PunctuationModel | None) -> PunctuationModel | None:
        if model is None or not self.punctuation_rows:
            return model
        return PunctuationModel(WriterRows(model.weights, self.punctuation_rows), model.priors, model.threshold)

    def keep(self, text: str, edits: Sequence[Edit]) -> list[Edit]:
        """The edits of a document the writer should see (see the module docstring)."""
        if not (self.dictionary or self.thresholds or self.suppressed_pairs or self.suppressed_contexts):
            return list(edits)
        neighbours = Neighbours(text) if self.suppressed_contexts else None
        return [e for e in edits if self._shown(text, neighbours, e)]

    def _shown(self, text: str, neighbours: Neighbours | None, edit: Edit) -> bool:
        least = self.thresholds.get(edit.kind)
        if least is not None and edit.confidence is not None and edit.confidence < least:
            return False
        if (edit.original, edit.replacement) in self.suppressed_pairs:
            return False
        if neighbours is not None and neighbours.key(edit.start, edit.end, edit.replacement) \
                in self.suppressed_contexts:
            return False
        return not (self.dictionary and touches_words(text, edit.start, edit.end, self.dictionary))


def words_at(text: str, start: int, end: int) -> list[str]:
    """The whitespace-delimited words that the span [start, end) changes: those it overlaps, or for an
    insertion, the word it falls strictly inside."""
    if start == end:
        if 0 < start < len(text) and not text[start - 1].isspace() and not text[start].isspace():
            start, end = start - 1, start + 1
        else:
            return []
    left = start
    while left > 0 and not text[left - 1].isspace():
        left -= 1
    right = end
    while right < len(text) and not text[right].isspace():
        right += 1
    return text[left:right].split()


def strip_marks(word: str) -> str:
    """word without the punctuation around it (a dictionary word is compared without it)."""
    start, end = 0, len(word)
    while start < end and is_punct_char(word[start]):
        start += 1
    while end > start and is_punct_char(word[end - 1]):
        end -= 1
    return word[start:end]


def touches_words(text: str, start: int, end: int, words: frozenset[str] | set[str]) -> bool:
    """True when the edit [start, end) of text changes one of `words` (in dictionary_form)."""
    return any(strip_marks(dictionary_form(w)) in words for w in words_at(text, start, end))
