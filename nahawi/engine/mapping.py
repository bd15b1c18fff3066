"""Model text ↔ user text: what the model reads, and how its output lands back on the user's own text.

Owns three steps. (1) The model reads benchmark-tokenised text (`كلمة ، كلمة`: punctuation split off,
single spaces) encoded with SentencePiece. (2) Its output ids are decoded into benchmark tokens, each with
the probabilities of the sub-word pieces that produced it. (3) Those tokens are aligned with the source's
tokens and rendered in the user's writing: an unchanged token keeps the user's exact characters and the
whitespace around it, and only real changes are written anew, attached the way Arabic writing attaches
punctuation (no space before `، . ؛ ؟ )`, none after `( «`). Tokens the sub-word vocabulary cannot spell
(unknown pieces: emoji, rare scripts) are never changed. Knows nothing of sessions, search or edit kinds.
"""
from __future__ import annotations

import bisect
import dataclasses
import itertools
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from nahawi.contract import Edit
from nahawi.edits import diff_to_edits, respacing_edits
from nahawi.edits.align import DELETE, INSERT, MATCH, Op, align_tokens
from nahawi.errors import ModelError
from nahawi.text.tokens import Token, model_tokens

# Marks written without a space before them, and marks written without a space after them.
ATTACH_LEFT = frozenset("،؛؟.,;:!?)]}»…%٪”’")
ATTACH_RIGHT = frozenset("([{«“‘")
# Lone surrogates (from broken UTF-16 at an editor edge) cannot reach SentencePiece; the model sees U+FFFD.
_SURROGATE = re.compile("[\ud800-\udfff]")
REPLACEMENT_CHAR = "\ufffd"


@dataclass(frozen=True)
class ModelInput:
    line: str  # the benchmark-tokenised line the model reads
    tokens: tuple[Token, ...]  # its tokens, with spans into the user's segment text


def model_input(text: str) -> ModelInput:
    tokens = tuple(model_tokens(text))
    return ModelInput(" ".join(t.text for t in tokens), tokens)


@dataclass(frozen=True)
class HypToken:
    text: str  # one benchmark token of the model's output
    probs: tuple[float, ...]  # probabilities of the sub-word pieces that produced it
    unknown: bool = False  # it came from an unknown piece: the model could not spell it


class SubwordCodec:
    """SentencePiece encoding of model lines and decoding of output ids into scored benchmark tokens."""

    def __init__(self, path: Path):
        import sentencepiece as spm

        try:
            self.sp = spm.SentencePieceProcessor(model_file=str(path))
        except (OSError, RuntimeError) as error:
            raise ModelError(f"{path}: cannot load the SentencePiece model ({error})") from error
        self.unk_id, self.bos_id, self.eos_id = self.sp.unk_id(), self.sp.bos_id(), self.sp.eos_id()
        self.vocab_size = self.sp.get_piece_size()
        self._word_start = [self.sp.id_to_piece(i).startswith("\u2581") for i in range(self.vocab_size)]

    def encode(self, line: str) -> list[int]:
        return self.sp.encode(_SURROGATE.sub(REPLACEMENT_CHAR, line))

    def encode_tokens(self, tokens: Sequence[str]) -> list[list[int]]:
        """Pieces of each token as it reads inside a line (each word starts with ▁). The line is encoded once
        and cut where a piece starts a word (SentencePiece never lets a piece cross a space: the same pieces
        as token by token, ~8× faster); a token whose normalised form is not one word (a ligature that
        spells a phrase, a character that normalises away) is encoded alone."""
        clean = [_SURROGATE.sub(REPLACEMENT_CHAR, token) for token in tokens]
        line = " ".join(clean)
        if len(self.sp.normalize(line).split(" ")) == len(clean) and all(clean):
            groups: list[list[int]] = []
            for piece in self.sp.encode(line):
                if self._word_start[piece] or not groups:
                    groups.append([piece])
                else:
                    groups[-1].append(piece)
            if len(groups) == len(clean):
                return groups
        return [self.sp.encode(token) for token in clean]

    def normalize(self, token: str) -> str:
        """token as the model would write it back (SentencePiece's normalisation, e.g. NFKC)."""
        return self.sp.normalize(_SURROGATE.sub(REPLACEMENT_CHAR, token)).replace("\u2581", " ").strip()

    def opaque(self, token: str) -> bool:
        """True when the vocabulary cannot spell token (it encodes to an unknown piece, or holds a lone
        surrogate that no encoding can carry)."""
        return self.opaque_pieces(token, self.sp.encode(token))

    def opaque_pieces(self, token: str, pieces: Sequence[int]) -> bool:
        """`opaque` of a token whose pieces (`encode_tokens`) are already known."""
        return bool(_SURROGATE.search(token)) or self.unk_id in pieces

    def decode(self, ids: Sequence[int], log_probs: Sequence[float]) -> list[HypToken]:
        """Output ids (without bos/eos) and their log-probs → benchmark tokens with piece probabilities."""
        proto = self.sp.decode_ids_as_proto(list(ids))
        tokens = model_tokens(proto.text)
        starts = [t.start for t in tokens]
        probs: list[list[float]] = [[] for _ in tokens]
        unknown = [False] * len(tokens)
        offset = 0
        for piece, log_prob in zip(proto.pieces, log_probs):
            begin, offset = offset, offset + len(piece.surface)
            for k in _tokens_of_piece(piece.surface, begin, tokens, starts):
                probs[k].append(math.exp(log_prob))
                unknown[k] = unknown[k] or piece.id == self.unk_id
        return [HypToken(t.text, tuple(p), u) for t, p, u in zip(tokens, probs, unknown)]


def _tokens_of_piece(surface: str, begin: int, tokens: list[Token], starts: list[int]) -> range:
    """Indices of the tokens a piece's visible characters overlap; a whitespace-only piece (a word
    boundary decision) belongs to the token after it."""
    visible = begin + len(surface) - len(surface.lstrip())
    end = begin + len(surface.rstrip())
    if end <= visible:
        following = bisect.bisect_left(starts, visible)
        return range(following, min(following + 1, len(tokens)))
    first = max(0, bisect.bisect_right(starts, visible) - 1)
    return range(first, bisect.bisect_left(starts, end))


@dataclass(frozen=True)
class _Out:
    text: str
    lo: int  # source tokens [lo, hi) it stands for; lo == hi for an insertion before source token lo
    hi: int
    verbatim: bool  # a source token kept in place with its attachment: the user's gaps around it stay
    probs: tuple[float, ...]


@dataclass(frozen=True)
class Rendered:
    text: str  # the corrected segment, in the user's spacing
    spans: tuple[tuple[int, int, tuple[float, ...]], ...]  # each output token's span in text + its probs
    end_prob: float | None  # probability of the end-of-sentence decision
    # (offset in the user's text, offset in `text`) where both read the same from an unchanged token on, after
    # the user's own gap: the texts can be compared piece by piece between them
    anchors: tuple[tuple[int, int], ...] = ()


def attach(token: str) -> str:
    """"left" for a mark written against the previous word, "right" for an opener, else "word"."""
    if token and all(ch in ATTACH_LEFT for ch in token):
        return "left"
    if token and all(ch in ATTACH_RIGHT for ch in token):
        return "right"
    return "word"


def _outputs(src: Sequence[Token], norm: Sequence[str], opaque: Sequence[bool],
             hyp: Sequence[HypToken], ops: Sequence[Op] | None = None) -> list[_Out]:
    """Output tokens in order: aligned source tokens keep their text, real changes take the model's."""
    out: list[_Out] = []
    for op in align_tokens(list(norm), [h.text for h in hyp]) if ops is None else ops:
        if op.tag == INSERT:
            if not hyp[op.j].unknown:
                out.append(_Out(hyp[op.j].text, op.i, op.i, False, hyp[op.j].probs))
            continue
        source = src[op.i]
        if op.tag == DELETE:
            if opaque[op.i]:
                out.append(_Out(source.text, op.i, op.i + 1, True, ()))
        elif op.tag == MATCH:
            out.append(_Out(source.text, op.i, op.i + 1, True, hyp[op.j].probs))
        elif opaque[op.i] or hyp[op.j].unknown:
            out.append(_Out(source.text, op.i, op.i + 1, True, ()))
        else:
            same = attach(source.text) == attach(hyp[op.j].text)
            out.append(_Out(hyp[op.j].text, op.i, op.i + 1, same, hyp[op.j].probs))
    return out


def render(text: str, src: Sequence[Token], norm: Sequence[str], opaque: Sequence[bool],
           hyp: Sequence[HypToken], end_prob: float | None = None, ops: Sequence[Op] | None = None) -> Rendered:
    """The model's tokens hyp written onto the user's segment text (its tokens src, their normalised forms
    norm, and which ones the vocabulary cannot spell). `ops`: the alignment of norm with hyp where the
    caller knows it (`align_tokens` otherwise)."""
    out = _outputs(src, norm, opaque, hyp, ops)
    gaps = [""] + [text[src[k - 1].end:src[k].start] for k in range(1, len(src))] + [""]
    used: set[int] = set()
    parts: list[str] = []
    spans: list[tuple[int, int, tuple[float, ...]]] = []
    anchors: list[tuple[int, int]] = []
    cursor = 0
    for index, token in enumerate(out):
        if index:
            left = out[index - 1]
            sep = _separator(left, token, gaps, used)
            parts.append(sep)
            cursor += len(sep)
            if left.verbatim and token.verbatim and left.hi == token.lo and token.text == src[token.lo].text:
                anchors.append((src[token.lo].start, cursor))
        parts.append(token.text)
        spans.append((cursor, cursor + len(token.text), token.probs))
        cursor += len(token.text)
    return Rendered("".join(parts), tuple(spans), end_prob, tuple(anchors))


def _separator(left: _Out, right: _Out, gaps: list[str], used: set[int]) -> str:
    """Whitespace between two output tokens: the user's own gap between two tokens kept in place, else
    Arabic attachment, reusing a user gap that the change freed (so a tab or double space survives)."""
    if left.verbatim and right.verbatim and left.hi == right.lo:
        used.add(left.hi)
        return gaps[left.hi]
    if attach(right.text) == "left" or attach(left.text) == "right":
        return ""
    for k in range(left.hi, right.lo + 1):
        if 0 < k < len(gaps) - 1 and k not in used and gaps[k]:
            used.add(k)
            return gaps[k]
    return " "


def fold_spacing_edits(source: str, edits: Sequence[Edit]) -> list[Edit]:
    """edits (sorted, from `diff_to_edits`) with each whitespace-only edit that touches a real edit folded
    into it: `عباده - أتوقع` → `عباده. أتوقع` is one edit (` -` → `.`), not a mark change plus a lone
    space deletion. An isolated whitespace-only edit stays as it is."""
    out: list[Edit] = []
    for edit in edits:
        if out and out[-1].end == edit.start and (_blank(out[-1]) != _blank(edit)):
            main = edit if _blank(out[-1]) else out[-1]
            out[-1] = dataclasses.replace(main, start=out[-1].start, end=edit.end,
                                          original=source[out[-1].start:edit.end],
                                          replacement=out[-1].replacement + edit.replacement)
        else:
            out.append(edit)
    return out


def _blank(edit: Edit) -> bool:
    return not edit.original.strip() and not edit.replacement.strip()


def rendered_edits(text: str, rendered: Rendered, rule_id: str = "model") -> tuple[Edit, ...]:
    """The edits that turn `text` into `rendered.text` (whitespace changes folded into the edits they
    touch), each scored with `edit_confidence`."""
    edits, shift = [], 0
    for edit in fold_spacing_edits(text, _anchored_diff(text, rendered, rule_id)):
        start = edit.start + shift  # where the edit's replacement sits in the rendered text
        confidence = edit_confidence(rendered, start, start + len(edit.replacement))
        pieces = (respacing_edits(edit.start, edit.original, edit.replacement, rule_id)
                  if edit.kind == "spacing" else [edit])
        edits += [dataclasses.replace(piece, confidence=confidence) for piece in pieces]
        shift += len(edit.replacement) - (edit.end - edit.start)
    return tuple(edits)


def _anchored_diff(text: str, rendered: Rendered, rule_id: str) -> list[Edit]:
    """`diff_to_edits(text, rendered.text)` compared piece by piece between the render's anchors (tokens kept
    in place): only the pieces that changed are aligned, never the whole sentence around a few edits."""
    cuts = [(0, 0), *rendered.anchors, (len(text), len(rendered.text))]
    edits = []
    for (start, rendered_start), (end, rendered_end) in itertools.pairwise(cuts):
        for edit in diff_to_edits(text[start:end], rendered.text[rendered_start:rendered_end], rule_id):
            edits.append(dataclasses.replace(edit, start=edit.start + start, end=edit.end + start))
    return edits


def edit_confidence(rendered: Rendered, start: int, end: int) -> float | None:
    """Mean probability of the generated pieces inside the corrected span [start, end); for a deletion
    (or a whitespace-only change), those of the next generated token, else of the end of sentence."""
    inside = [p for s, e, probs in rendered.spans if s < end and e > start for p in probs]
    if inside:
        return sum(inside) / len(inside)
    for s, _, probs in rendered.spans:
        if s >= start and probs:
            return sum(probs) / len(probs)
    return rendered.end_prob
