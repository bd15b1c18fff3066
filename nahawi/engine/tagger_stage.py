"""The tagger stage: the edit tagger run over segments, its tags turned into edits on the user's own text.

Each segment is read as benchmark tokens (`mapping.model_input`), cut into windows whose pieces fit the
tagger (at token boundaries, never truncated), batched by length and tagged in one call per batch. The tags
the policy trusts (`nahawi.tags.choose_tags`) rebuild the segment's tokens, and `mapping.render` writes them
onto the user's spacing exactly as the seq2seq's output is written: everything outside an edit stays the
user's text. Edits carry the least probability of the tags that made them and rule id "tagger".
Knows nothing of ONNX Runtime (`sessions.OrtTagger`) or of the stages after it.
"""
from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from nahawi.contract import Edit, apply_edits
from nahawi.edits.align import MATCH, Op, align_tokens
from nahawi.edits.compose import compose_edits
from nahawi.engine.mapping import (
    HypToken,
    ModelInput,
    SubwordCodec,
    model_input,
    render,
    rendered_edits,
)
from nahawi.errors import ModelError
from nahawi.profile.adapter import TaggerAdapter
from nahawi.tags import DELETE, JOIN, KEEP, TagChoice, TagPolicy, TagVocab, apply_choices, choose_tags
from nahawi.text.tokens import Token

RULE_ID = "tagger"


@dataclass(frozen=True)
class _Window:
    segment: int  # index of the segment
    first: int  # its first token
    pieces: list[list[int]]  # pieces of each of its tokens
    frozen: list[bool]  # tokens the vocabulary cannot spell: their tags are never applied


@dataclass(frozen=True)
class TokenOutputs:
    """The tagger's reading of one segment, a row per token."""
    frozen: list[bool]  # tokens the vocabulary cannot spell: their tags are never applied
    word_probs: np.ndarray  # (tokens, word tags), read at each token's first piece
    mark_probs: np.ndarray  # (tokens, marks), at its last piece
    word_hidden: np.ndarray | None = None  # (tokens, d): the states there, when asked for
    mark_hidden: np.ndarray | None = None

    @classmethod
    def join(cls, parts: list[tuple], word_tags: int, marks: int) -> TokenOutputs:
        """One segment's outputs from its windows' (frozen, word probs, mark probs[, word and mark states])."""
        if not parts:
            return cls([], np.zeros((0, word_tags), np.float32), np.zeros((0, marks), np.float32))
        columns = list(zip(*parts))
        arrays = [np.concatenate(column) for column in columns[1:]]
        return cls([f for frozen in columns[0] for f in frozen], *arrays)

    def adapted(self, adapter: TaggerAdapter) -> TokenOutputs:
        if not self.frozen:
            return self
        word_probs, mark_probs = adapter.apply(self.word_probs, self.mark_probs, self.word_hidden, self.mark_hidden)
        return TokenOutputs(self.frozen, word_probs, mark_probs)


class TaggerStage:
    def __init__(self, model, codec: SubwordCodec, vocab: TagVocab, policy: TagPolicy, max_seq_len: int,
                 pad_id: int = 0, max_batch_tokens: int = 4096, fingerprint: str = ""):
        self.model, self.codec, self.vocab, self.policy = model, codec, vocab, policy
        self.fingerprint = fingerprint  # sha256 of the graph: what a writer's adapter must have been fitted on
        self.max_pieces = max_seq_len - 2  # bos and eos
        self.pad_id, self.max_batch_tokens = pad_id, max_batch_tokens
        self._check()

    def _check(self) -> None:
        """One trial run: the graph's classes must be the vocabulary's (a tags file from another model
        would silently map probabilities onto the wrong tags)."""
        word_probs, mark_probs = self.model.tag(np.array([[self.codec.bos_id, self.codec.eos_id]], dtype=np.int64))
        expected = (len(self.vocab.word_tags), len(self.vocab.marks))
        if (word_probs.shape[-1], mark_probs.shape[-1]) != expected:
            raise ModelError(f"the tagger graph has {word_probs.shape[-1]} word tags and {mark_probs.shape[-1]} "
                             f"marks, its tag vocabulary {expected[0]} and {expected[1]}")
        if not (np.isfinite(word_probs).all() and np.isfinite(mark_probs).all()):
            raise ModelError("the tagger's trial run produced non-finite probabilities")

    def edits(self, texts: Sequence[str], policy: TagPolicy | None = None, adapter: TaggerAdapter | None = None,
              trusted: Callable[[Edit], bool] | None = None) -> list[tuple[Edit, ...]]:
        """The tagger's edits of each segment text (offsets into that text), in input order; read through a
        writer's adapter when one is given. With `trusted`, two passes: where the first pass has edits that
        `trusted` keeps, they are applied and the text is read again, and the second pass's trusted edits are
        composed onto them (`nahawi.edits.compose`). There only trusted edits are left: an untrusted one would
        not be shown, and joined to a trusted one it would take that one's place."""
        first = self._read(texts, policy, adapter)
        if trusted is None:
            return first
        kept = [tuple(e for e in edits if trusted(e)) for edits in first]
        again = [k for k, edits in enumerate(kept) if edits]
        second = self._read([apply_edits(texts[k], kept[k]) for k in again], policy, adapter)
        for k, edits in zip(again, second, strict=True):
            first[k] = compose_edits(texts[k], kept[k], [e for e in edits if trusted(e)])
        return first

    def _read(self, texts: Sequence[str], policy: TagPolicy | None,
              adapter: TaggerAdapter | None) -> list[tuple[Edit, ...]]:
        policy = policy or self.policy
        sources = [model_input(text) for text in texts]
        edits = []
        for text, source, out in zip(texts, sources, self.outputs(sources, adapter=adapter)):
            words = [t.text for t in source.tokens]
            chosen = choose_tags(words, out.word_probs, out.mark_probs, self.vocab, policy, out.frozen)
            edits.append(self.segment_edits(text, source, chosen, out.frozen))
        return edits

    def outputs(self, sources: Sequence[ModelInput], hidden: bool = False,
                adapter: TaggerAdapter | None = None) -> list[TokenOutputs]:
        """Each source's per-token probabilities, through `adapter` when given; with `hidden`, the tagger's own
        (never adapted) and the states its heads read: what an adapter is fitted on."""
        adapter = None if hidden else adapter
        tokens = [[t.text for t in source.tokens] for source in sources]
        windows = [w for k, toks in enumerate(tokens) for w in self._windows(k, toks)]
        parts: list[list[tuple]] = [[] for _ in sources]
        for window, outputs in zip(windows, self._probabilities(windows, hidden or adapter is not None)):
            parts[window.segment].append((window.frozen, *outputs))
        shapes = (len(self.vocab.word_tags), len(self.vocab.marks))
        results = [TokenOutputs.join(p, *shapes) for p in parts]
        if adapter is not None:
            results = [r.adapted(adapter) for r in results]
        return results

    def _windows(self, segment: int, tokens: list[str]) -> list[_Window]:
        """Consecutive runs of tokens whose pieces fit; a token longer than the tagger alone is cut to its
        leading pieces (it is frozen anyway: only its tags are read, never its pieces rewritten)."""
        encoded = self.codec.encode_tokens(tokens)
        frozen = [self.codec.opaque_pieces(t, p) for t, p in zip(tokens, encoded)]
        pieces = [p[:self.max_pieces] or [self.codec.unk_id] for p in encoded]
        windows, first, size = [], 0, 0
        for k, token_pieces in enumerate(pieces):
            if k > first and size + len(token_pieces) > self.max_pieces:
                windows.append(_Window(segment, first, pieces[first:k], frozen[first:k]))
                first, size = k, 0
            size += len(token_pieces)
        if pieces:
            windows.append(_Window(segment, first, pieces[first:], frozen[first:]))
        return windows

    def _probabilities(self, windows: list[_Window], hidden: bool = False) -> list[tuple[np.ndarray, ...]]:
        """Per window: word probs (tokens, word tags) at first pieces, mark probs (tokens, marks) at last
        pieces, and with `hidden` the states at those pieces (tokens, d) twice."""
        lengths = [2 + sum(len(p) for p in w.pieces) for w in windows]
        order = sorted(range(len(windows)), key=lengths.__getitem__)
        out: list[tuple[np.ndarray, ...]] = [()] * len(windows)
        start = 0
        while start < len(order):
            end = start + 1
            while end < len(order) and (end + 1 - start) * lengths[order[end]] <= self.max_batch_tokens:
                end += 1
            batch = order[start:end]
            ids = np.full((len(batch), lengths[batch[-1]]), self.pad_id, dtype=np.int64)  # (B, T)
            for row, k in enumerate(batch):
                ids[row, :lengths[k]] = [self.codec.bos_id, *(i for p in windows[k].pieces for i in p),
                                         self.codec.eos_id]
            graph = self.model.tag_with_hidden(ids) if hidden else self.model.tag(ids)
            for row, k in enumerate(batch):
                sizes = np.array([len(p) for p in windows[k].pieces])
                first = 1 + np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.int64)
                last = first + sizes - 1
                out[k] = (graph[0][row, first], graph[1][row, last])
                if hidden:
                    out[k] += (graph[2][row, first], graph[2][row, last])
            start = end
        return out

    @staticmethod
    def segment_edits(text: str, source: ModelInput, choices: list[TagChoice],
                      frozen: list[bool]) -> tuple[Edit, ...]:
        norm = [t.text for t in source.tokens]
        hyp, ops = aligned_outputs(choices, norm)
        if [h.text for h in hyp] == norm:
            return ()
        edits = rendered_edits(text, render(text, source.tokens, norm, frozen, hyp, ops=ops), RULE_ID)
        return tuple(dataclasses.replace(edit, confidence=decision_confidence(edit, source.tokens, choices))
                     for edit in edits)


def decision_confidence(edit: Edit, tokens: Sequence[Token], choices: list[TagChoice]) -> float | None:
    """The least probability among the tag decisions behind `edit`: the word tags of the words it rewrites,
    deletes or joins, and the marks it writes after a word. (The rendered text's own scores would give a
    deleted word the probability of the word kept after it.)"""
    confidences = []
    for token, choice in zip(tokens, choices, strict=True):
        word, mark = choice.tagged.word, choice.tagged.mark
        touches_end = edit.start <= token.end <= edit.end
        inside = edit.start < token.end and edit.end > token.start
        if word != KEEP and (inside or (word == JOIN and touches_end)):
            confidences.append(choice.word_confidence)
        if mark and touches_end and mark in edit.replacement:
            confidences.append(choice.mark_confidence)
    return min(confidences) if confidences else edit.confidence


def aligned_outputs(choices: list[TagChoice], norm: list[str]) -> tuple[list[HypToken], list[Op]]:
    """The output tokens of the chosen tags and their alignment with the source tokens `norm`. A word kept
    without a mark matches itself; each run of changed words (a join takes the words it glues) is aligned
    on its own: the tags say where the changes are, so the whole sentence is never aligned (that took as
    long as the model)."""
    hyp: list[HypToken] = []
    ops: list[Op] = []
    k = 0
    while k < len(choices):
        if not _changes(choices[k]):
            ops.append(Op(MATCH, k, len(hyp)))
            hyp.append(HypToken(norm[k], (choices[k].word_confidence,)))
            k += 1
            continue
        end, joining = k, False
        while end < len(choices) and (end == k or joining or _changes(choices[end])):
            word = choices[end].tagged.word
            joining = word == JOIN or (joining and word == DELETE)
            end += 1
        outputs = apply_choices(choices[k:end])
        ops += [Op(op.tag, k + op.i, len(hyp) + op.j) for op in align_tokens(norm[k:end], [t for t, _ in outputs])]
        hyp += [HypToken(token, (confidence,)) for token, confidence in outputs]
        k = end
    return hyp, ops


def _changes(choice: TagChoice) -> bool:
    return choice.tagged.word != KEEP or bool(choice.tagged.mark)
