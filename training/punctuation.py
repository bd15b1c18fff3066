"""Train the punctuation model (nahawi.punctuation) from real GEC pairs plus clean-corpus priors.

Examples: every gap of every source document of the real train pairs whose two words are aligned to two
adjacent target words (difflib on the words, marks removed); the label is the target's mark there. The
"last mark" distance is taken from the target on the left, as the decoder sees its own marks. Priors: for
each corpus word seen `prior_min_count` times, how often a mark follows and precedes it, bucketed.
The model is a bag-of-features linear layer (EmbeddingBag, sum) trained with cross-entropy; torch needed.
"""
from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from difflib import SequenceMatcher
from pathlib import Path

import torch

from nahawi.punctuation import LABELS, WRITTEN, gap_features, save_punctuation, split_marks
from nahawi.text.punct import tokenize_punct

log = logging.getLogger("nahawi.training")

RATE_EDGES = (0.005, 0.02, 0.05, 0.1, 0.2, 0.35, 0.5)


@dataclass(frozen=True)
class PunctTrainConfig:
    min_feature_count: int = 2  # features seen fewer times in training are dropped
    prior_min_count: int = 20  # corpus words seen fewer times get no prior
    epochs: int = 12
    lr: float = 0.05
    weight_decay: float = 1e-6
    batch_size: int = 256
    prune: float = 0.02  # weights rows whose largest |w| is below this are not stored
    seed: int = 17
    corpus_files: tuple[str, ...] = ()  # corpus files the priors count (default: every *.txt.gz)


def words_and_marks(tokenized: str) -> tuple[list[str], list[str]]:
    """Benchmark-tokenised text → its words and, for each, the marks that follow it joined by spaces."""
    words, marks = split_marks(tokenized.split())
    return words, [" ".join(group) for group in marks]


def gap_examples(source: str, target: str, priors) -> list[tuple[list[str], int]]:
    """(features, label index) for the source gaps whose label the target determines."""
    src_words, src_marks = words_and_marks(tokenize_punct(source))
    tgt_words, tgt_marks = words_and_marks(tokenize_punct(target))
    target_of = {}
    for block in SequenceMatcher(None, src_words, tgt_words, autojunk=False).get_matching_blocks():
        for k in range(block.size):
            target_of[block.a + k] = block.b + k
    examples, since = [], 0
    for i in range(len(src_words)):
        since += 1
        j = target_of.get(i)
        last = i == len(src_words) - 1
        aligned = j is not None and (target_of.get(i + 1) == j + 1 if not last else j == len(tgt_words) - 1)
        mark = tgt_marks[j] if aligned else src_marks[i]
        if aligned and mark in LABELS and src_marks[i] in WRITTEN:
            features = gap_features(src_words, i, src_marks[i], since, priors)
            examples.append((features, LABELS.index(mark)))
        if mark:
            since = 0
    return examples


def corpus_priors(lines: Iterable[str], min_count: int) -> dict[str, tuple[int, int]]:
    """word → (bucket of P(mark after word), bucket of P(mark before word)) over clean text."""
    seen, after, before = Counter(), Counter(), Counter()
    for line in lines:
        words, marks = words_and_marks(tokenize_punct(line))
        seen.update(words)
        for i, word in enumerate(words):
            if marks[i]:
                after[word] += 1
                if i + 1 < len(words):
                    before[words[i + 1]] += 1

    def bucket(rate: float) -> int:
        return sum(rate >= edge for edge in RATE_EDGES)

    return {w: (bucket(after[w] / n), bucket(before[w] / n)) for w, n in seen.items() if n >= min_count}


def fit(examples: list[tuple[list[str], int]], config: PunctTrainConfig = PunctTrainConfig()) -> dict[str, list[float]]:
    """Multinomial logistic regression over feature bags → weight rows per feature name."""
    counts = Counter(name for features, _ in examples for name in features)
    names = sorted(n for n, c in counts.items() if c >= config.min_feature_count)
    index = {n: i for i, n in enumerate(names)}
    rows = [[index[n] for n in features if n in index] for features, _ in examples]
    labels = torch.tensor([label for _, label in examples])
    torch.manual_seed(config.seed)
    layer = torch.nn.EmbeddingBag(len(names), len(LABELS), mode="sum")
    torch.nn.init.zeros_(layer.weight)
    optimiser = torch.optim.Adagrad(layer.parameters(), lr=config.lr, weight_decay=config.weight_decay)
    for epoch in range(config.epochs):
        order = torch.randperm(len(rows)).tolist()
        total = 0.0
        for start in range(0, len(order), config.batch_size):
            batch = order[start:start + config.batch_size]
            flat = torch.tensor([i for b in batch for i in rows[b]], dtype=torch.long)
            offsets = torch.tensor([0] + [len(rows[b]) for b in batch[:-1]]).cumsum(0)
            loss = torch.nn.functional.cross_entropy(layer(flat, offsets), labels[batch])
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            total += loss.item() * len(batch)
        log.info("punctuation epoch %d: loss %.4f", epoch + 1, total / len(rows))
    weight = layer.weight.detach()
    return {n: weight[i].tolist() for n, i in index.items() if weight[i].abs().max().item() >= config.prune}


def label_counts(examples) -> dict[str, int]:
    return {LABELS[k] or "none": v for k, v in sorted(Counter(label for _, label in examples).items())}



def train_punctuation(out: Path, data_root: Path, corpus_root: Path,
                      config: PunctTrainConfig = PunctTrainConfig(), threshold: float = 0.8) -> dict:
    """Priors from the clean corpus, examples from the real train pairs (never a dev or test split)."""
    from training.data.prepare import load_real
    from training.lexicon import corpus_paths, read_lines

    paths = corpus_paths(corpus_root, config.corpus_files)
    priors = corpus_priors(read_lines(paths), config.prior_min_count)
    pairs = load_real(data_root)
    examples = [e for pair in pairs for e in gap_examples(pair.source, pair.target, priors)]
    weights = fit(examples, config)
    out.parent.mkdir(parents=True, exist_ok=True)
    save_punctuation(out, weights, priors, threshold)
    return {"documents": len(pairs), "gaps": len(examples), "labels": label_counts(examples),
            "features": len(weights), "priors": len(priors), "bytes": out.stat().st_size,
            "config": asdict(config)}
