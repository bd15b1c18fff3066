"""The edit tagger's tags: what each source word becomes, and which mark follows it.

A sentence is a list of benchmark tokens (`nahawi.text.tokenize_punct`: words and marks). The tagger gives
every token two tags:

- a **word tag**: `KEEP`, `DELETE`, `JOIN` (glue to the next token, no space), or a **rewrite**: one
  contiguous change anchored at the word's start (`^`) or end (`$`): `(anchor, offset, old, new)` means
  "the `old` letters found `offset` letters from that end become `new`". One closed vocabulary of frequent
  rewrites covers spelling variants (`^0 ا→أ` for ان → أن, `$0 ه→ة`, `$0 ي→ى`), affix transforms (`$0 ا→ن`,
  `^0 ال→`), confusable letters, a split (`^2 →" "` for مايحدث → ما يحدث) and a mark replaced (`^0 ,→،`).
  A rewrite whose `old` letters are not where it says is not applicable: the word is kept.
- a **mark tag**: the punctuation inserted after the token (`NO_MARK` or one of `MARKS`).

`TagVocab` maps tags to the network's class ids and back and is stored as JSON beside the model.
Knows nothing of networks, alignment or training.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from nahawi.errors import ModelError

KEEP, DELETE, JOIN = "KEEP", "DELETE", "JOIN"
NO_MARK = ""
MARKS = ("،", ".", "؟", "!", ":", "؛")  # marks the tagger may insert after a token


@dataclass(frozen=True)
class Rewrite:
    anchor: str  # "^" (offset from the word's start) or "$" (offset from its end)
    offset: int
    old: str
    new: str

    def apply(self, word: str) -> str | None:
        """The rewritten word, or None where `old` is not at the anchored place."""
        if self.anchor == "^":
            start = self.offset
        else:
            start = len(word) - self.offset - len(self.old)
        end = start + len(self.old)
        if start < 0 or end > len(word) or word[start:end] != self.old:
            return None
        return word[:start] + self.new + word[end:]

    def key(self) -> str:
        return json.dumps([self.anchor, self.offset, self.old, self.new], ensure_ascii=False)


def rewrite_between(source: str, target: str) -> Rewrite | None:
    """The one anchored rewrite that turns `source` into `target` (None when they are equal)."""
    if source == target:
        return None
    limit = min(len(source), len(target))
    prefix = 0
    while prefix < limit and source[prefix] == target[prefix]:
        prefix += 1
    suffix = 0
    while suffix < limit - prefix and source[-1 - suffix] == target[-1 - suffix]:
        suffix += 1
    old, new = source[prefix:len(source) - suffix], target[prefix:len(target) - suffix]
    if prefix <= suffix:
        return Rewrite("^", prefix, old, new)
    return Rewrite("$", suffix, old, new)


WordTag = str | Rewrite


@dataclass(frozen=True)
class TaggedToken:
    token: str
    word: WordTag = KEEP
    mark: str = NO_MARK


def apply_tags(tagged: list[TaggedToken]) -> list[str]:
    """Output tokens of a tagged sentence (a JOIN glues a token's output to the next output)."""
    return [text for text, _ in _scored_outputs((item, 1.0, 1.0) for item in tagged)]


def _scored_outputs(items) -> list[tuple[str, float]]:
    """(output token, confidence) from (TaggedToken, word confidence, mark confidence) triples; a glued
    token keeps the lower confidence of the two decisions behind it."""
    out: list[tuple[str, float]] = []
    glue = False
    for item, word_confidence, mark_confidence in items:
        pieces = [piece for piece in word_output(item.token, item.word).split(" ") if piece]
        produced = bool(pieces)
        if glue and pieces and out:
            text, confidence = out[-1]
            out[-1] = (text + pieces.pop(0), min(confidence, word_confidence))
        out.extend((piece, word_confidence) for piece in pieces)
        if produced or item.word == JOIN:  # a JOIN glues across deleted tokens to the next output
            glue = item.word == JOIN and bool(out)
        if item.mark:
            out.append((item.mark, mark_confidence))
            glue = False
    return out


def word_output(token: str, tag: WordTag) -> str:
    if tag == DELETE:
        return ""
    if isinstance(tag, Rewrite):
        rewritten = tag.apply(token)
        return token if rewritten is None else rewritten
    return token


class TagVocab:
    """Class ids of the word tags (KEEP 0, DELETE 1, JOIN 2, then rewrites) and the mark tags (none 0)."""

    def __init__(self, rewrites: list[Rewrite], marks: tuple[str, ...] = MARKS):
        self.word_tags: list[WordTag] = [KEEP, DELETE, JOIN, *rewrites]
        self.marks: list[str] = [NO_MARK, *marks]
        self._word_ids = {self._key(t): i for i, t in enumerate(self.word_tags)}
        self._mark_ids = {m: i for i, m in enumerate(self.marks)}

    @staticmethod
    def _key(tag: WordTag) -> str:
        return tag.key() if isinstance(tag, Rewrite) else tag

    def word_id(self, tag: WordTag) -> int | None:
        return self._word_ids.get(self._key(tag))

    def mark_id(self, mark: str) -> int | None:
        return self._mark_ids.get(mark)

    def to_json(self) -> dict:
        rewrites = [[t.anchor, t.offset, t.old, t.new] for t in self.word_tags[3:]]
        return {"format": "nahawi-tags", "version": 1, "rewrites": rewrites, "marks": self.marks[1:]}

    def save(self, path: str | Path) -> None:
        Path(path).write_text(json.dumps(self.to_json(), ensure_ascii=False, indent=0) + "\n", encoding="utf-8")

    @classmethod
    def from_json(cls, data: dict, source: str = "tags") -> TagVocab:
        try:
            if data.get("format") != "nahawi-tags":
                raise ValueError("not a nahawi-tags file")
            rewrites = [Rewrite(str(a), int(o), str(old), str(new)) for a, o, old, new in data["rewrites"]]
            if any(r.anchor not in "^$" or r.offset < 0 for r in rewrites):
                raise ValueError("a rewrite has a bad anchor or offset")
            return cls(rewrites, tuple(str(m) for m in data["marks"]))
        except (KeyError, TypeError, ValueError, AttributeError) as error:
            raise ModelError(f"{source}: invalid tag vocabulary ({error})") from error

    @classmethod
    def load(cls, path: str | Path) -> TagVocab:
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, ValueError) as error:
            raise ModelError(f"cannot read tag vocabulary {path}: {error}") from error
        return cls.from_json(data, str(path))

    def __len__(self) -> int:
        return len(self.word_tags)


@dataclass(frozen=True)
class TagPolicy:
    """When a predicted tag is trusted: its probability must reach the threshold (KEEP / no mark otherwise)."""
    word_threshold: float = 0.5
    mark_threshold: float = 0.5
    candidates: int = 4  # best word tags tried, in order, until one applies to the word


@dataclass(frozen=True)
class TagChoice:
    tagged: TaggedToken
    word_confidence: float  # probability of the chosen word tag (of KEEP where kept)
    mark_confidence: float  # probability of the chosen mark (of no mark where none)


def choose_tags(tokens: list[str], word_probs, mark_probs, vocab: TagVocab,
                policy: TagPolicy = TagPolicy(), frozen: list[bool] | None = None) -> list[TagChoice]:
    """The tags to apply: per token, the most probable word tag other than KEEP that applies to the word and
    reaches the threshold, and likewise a mark, never where a mark already follows (or is) the token.
    word_probs (n, word tags) and mark_probs (n, marks) are numpy arrays of probabilities; a `frozen` token
    (one the tokenizer cannot spell) is always kept."""
    import numpy as np

    choices = []
    order = np.argsort(-word_probs[:, 1:], axis=1)[:, :policy.candidates] + 1
    for k, token in enumerate(tokens):
        word, word_confidence = KEEP, float(word_probs[k, 0])
        for tag_id in order[k] if not (frozen and frozen[k]) else ():
            probability = float(word_probs[k, tag_id])
            if probability < policy.word_threshold:
                break
            tag = vocab.word_tags[tag_id]
            if _applies(tag, token, k, len(tokens)):
                word, word_confidence = tag, probability
                break
        mark, mark_confidence = NO_MARK, float(mark_probs[k, 0])
        follows = k + 1 < len(tokens) and tokens[k + 1] in MARKS
        if token not in MARKS and not follows and word not in (DELETE, JOIN):
            best = int(np.argmax(mark_probs[k, 1:])) + 1
            if mark_probs[k, best] >= policy.mark_threshold:
                mark, mark_confidence = vocab.marks[best], float(mark_probs[k, best])
        choices.append(TagChoice(TaggedToken(token, word, mark), word_confidence, mark_confidence))
    return choices


def apply_choices(choices: list[TagChoice]) -> list[tuple[str, float]]:
    """Output tokens of chosen tags, each with the confidence of the decision that wrote it."""
    return _scored_outputs((c.tagged, c.word_confidence, c.mark_confidence) for c in choices)


def _applies(tag: WordTag, token: str, position: int, length: int) -> bool:
    if isinstance(tag, Rewrite):
        return tag.apply(token) is not None
    if tag == JOIN:
        return position + 1 < length
    return True
