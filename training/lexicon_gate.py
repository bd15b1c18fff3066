"""Fit the lexicon gate (nahawi.lexicon_gate) on the real train pairs — never a dev or test split.

Examples: every suggestion the lexicon makes, at a permissive ratio, on the source side of QALB-2015 train
and ZAEBUC train (label 1 when the reviewer's correction of that word is the suggestion) and on their
corrected side (label 0: every suggestion there would be a false alarm). Source and target words are aligned
with difflib on their confusable-letter fold (nahawi.lexicon.fold_confusable), so a respelt word lines up
with its correction. The gate is L2-regularised logistic regression, fitted by L-BFGS; torch needed.
"""
from __future__ import annotations

import logging
from dataclasses import asdict, dataclass
from difflib import SequenceMatcher
from pathlib import Path

import torch

from nahawi.lexicon import Lexicon, LexiconConfig, fold_confusable, load_lexicon, neighbours
from nahawi.lexicon_gate import gate_features, save_gate
from nahawi.text.punct import is_punct_char, tokenize_punct

log = logging.getLogger("nahawi.training")


@dataclass(frozen=True)
class GateTrainConfig:
    candidate_ratio: float = 1.5  # the lexicon's ratio while collecting suggestions (the gate sorts them)
    context_ratio: float = 12.0  # the ratio the neighbours are read with (`Lexicon.as_context`): the shipped policy's
    l2: float = 1e-3  # weight decay on every weight but the bias
    max_iter: int = 200  # L-BFGS iterations
    supplies: bool = False  # also fit the `supplies=` features (what a repair supplies); off, the gate is the one
    # shipped: on, the simulated writer's adaptation (`nahawi bench adapt`) no longer adds on ZAEBUC (RESULTS)


def aligned_targets(source: list[str], target: list[str]) -> dict[int, str]:
    """source index → the target token it became, where the alignment is one-to-one."""
    aligned = {}
    matcher = SequenceMatcher(None, [fold_confusable(t) for t in source], [fold_confusable(t) for t in target],
                              autojunk=False)
    for tag, a0, a1, b0, b1 in matcher.get_opcodes():
        if tag == "equal" or (tag == "replace" and a1 - a0 == b1 - b0):
            aligned.update((a0 + k, target[b0 + k]) for k in range(a1 - a0))
    return aligned


def suggestion_examples(lexicon: Lexicon, source: str, target: str,
                        reader: Lexicon | None = None) -> list[tuple[list[str], int]]:
    """(gate features, 1 if the target has the suggested spelling) for each suggestion in `source`, its
    neighbours read by `reader` (default: `lexicon`) as the engine reads them."""
    tokens, wanted = tokenize_punct(source).split(), tokenize_punct(target).split()
    aligned = aligned_targets(tokens, wanted)
    examples, context = [], (reader or lexicon).as_context(tokens)
    for i, token in enumerate(tokens):
        if all(map(is_punct_char, token)):
            continue
        before, after = neighbours(context, i)
        usual = lexicon.suggest_in_context(token, before, after)
        if usual is not None:
            examples.append((gate_features(lexicon, token, usual, before, after), int(aligned.get(i) == usual)))
    return examples


def fit_gate(examples: list[tuple[list[str], int]], config: GateTrainConfig = GateTrainConfig()) -> dict[str, float]:
    names = sorted({name for features, _ in examples for name in features})
    index = {name: i for i, name in enumerate(names)}
    rows = torch.zeros(len(examples), len(names))  # (N, F) feature counts
    for row, (features, _) in enumerate(examples):
        for name in features:
            rows[row, index[name]] += 1
    labels = torch.tensor([label for _, label in examples], dtype=torch.float)
    weights = torch.zeros(len(names), requires_grad=True)
    decay = torch.tensor([0.0 if name == "bias" else 1.0 for name in names])
    optimiser = torch.optim.LBFGS([weights], max_iter=config.max_iter)

    def loss():
        optimiser.zero_grad()
        value = torch.nn.functional.binary_cross_entropy_with_logits(rows @ weights, labels)
        value = value + config.l2 * (decay * weights ** 2).sum()
        value.backward()
        return value

    optimiser.step(loss)
    log.info("lexicon gate: %d examples, %d features, loss %.4f", len(examples), len(names), loss().item())
    return {name: weights[i].item() for name, i in index.items()}


def train_lexicon_gate(out: Path, data_root: Path, lexicon_path: Path,
                       config: GateTrainConfig = GateTrainConfig()) -> dict:
    """Fit on the real train pairs with the lexicon that will ship beside the gate; write `out`."""
    from training.data.prepare import load_real

    lexicon = load_lexicon(lexicon_path, LexiconConfig(ratio=config.candidate_ratio))
    reader = Lexicon.from_tables(lexicon.tables, LexiconConfig(ratio=config.context_ratio))
    pairs = load_real(data_root)
    examples = [e for pair in pairs for e in suggestion_examples(lexicon, pair.source, pair.target, reader)]
    examples += [e for pair in pairs for e in suggestion_examples(lexicon, pair.target, pair.target, reader)]
    if not config.supplies:
        examples = [([f for f in features if not f.startswith("supplies=")], label) for features, label in examples]
    weights = fit_gate(examples, config)
    report = {"documents": len(pairs), "examples": len(examples), "positives": sum(label for _, label in examples),
              "features": len(weights), "config": asdict(config)}
    out.parent.mkdir(parents=True, exist_ok=True)
    save_gate(out, weights, report)
    return report
