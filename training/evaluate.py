"""Dev evaluation during training: decode benchmark-tokenised documents and score them with our M2 scorer."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import torch

from training.decode import greedy_decode

SENTENCE_END = {".", "!", "?", "؟", "،", "؛", ":"}


@dataclass(frozen=True)
class DevSet:
    sources: list[str]  # benchmark-tokenised documents
    m2_path: Path  # gold with punctuation
    nopnx_m2_path: Path | None  # gold without punctuation
    limit: int  # number of leading documents used


def chunk_words(words: list[str], max_words: int = 48, min_words: int = 12) -> list[list[str]]:
    """Cut a document into model-sized chunks, preferring cuts after sentence punctuation."""
    chunks, current = [], []
    for word in words:
        current.append(word)
        if len(current) >= max_words or (len(current) >= min_words and word in SENTENCE_END):
            chunks.append(current)
            current = []
    if current:
        chunks.append(current)
    return chunks


def fit_chunks(words: list[str], sp, max_tokens: int) -> list[str]:
    """Chunks of words whose encodings fit max_tokens (halving over-long chunks; nothing is cut off)."""
    pieces = []
    for chunk in chunk_words(words):
        text = " ".join(chunk)
        if len(sp.encode(text)) <= max_tokens or len(chunk) == 1:
            pieces.append(text)
        else:
            half = len(chunk) // 2
            pieces += fit_chunks(chunk[:half], sp, max_tokens) + fit_chunks(chunk[half:], sp, max_tokens)
    return pieces


def correct_documents(model, sp, documents: list[str], batch_size: int = 32) -> list[str]:
    model.eval()
    budget = (model.config.max_seq_len - 11) * 5 // 6  # room for eos and the 1.2 * len + 10 output limit
    pieces = [(doc_index, chunk) for doc_index, doc in enumerate(documents)
              for chunk in fit_chunks(doc.split(), sp, budget)]
    order = sorted(range(len(pieces)), key=lambda i: len(pieces[i][1]))
    outputs: dict[int, str] = {}
    eos, pad = model.config.eos_id, model.config.pad_id
    for start in range(0, len(order), batch_size):
        indices = order[start:start + batch_size]
        encoded = [sp.encode(pieces[i][1])[: model.config.max_seq_len - 1] + [eos] for i in indices]
        src = torch.full((len(encoded), max(map(len, encoded))), pad, dtype=torch.long)
        for row, ids in enumerate(encoded):
            src[row, :len(ids)] = torch.tensor(ids)
        for i, ids in zip(indices, greedy_decode(model, src)):
            outputs[i] = sp.decode(ids)
    corrected = [[] for _ in documents]
    for i, (doc_index, _) in enumerate(pieces):
        corrected[doc_index].append(outputs[i])
    return [" ".join(" ".join(parts).split()) for parts in corrected]


def score_dev_hypotheses(hypotheses: list[str], dev: DevSet) -> dict:
    """{"with_punct": ..., "no_punct": ...} (the latter where the set has a no-punctuation gold), each
    P/R/F0.5 and counts at full precision, from the same scorer as `nahawi bench quality`."""
    from nahawi.bench.quality import score_hypotheses, score_to_dict
    from nahawi.text.punct import tokenize_punct

    report = score_hypotheses("dev", [tokenize_punct(h) for h in hypotheses], dev.m2_path, dev.nopnx_m2_path,
                              limit=dev.limit)
    scores = {"with_punct": report.punct, "no_punct": report.nopunct}
    return {name: score_to_dict(score, digits=None) for name, score in scores.items() if score is not None}


def score_dev(model, sp, dev: DevSet) -> dict:
    return score_dev_hypotheses(correct_documents(model, sp, dev.sources[:dev.limit]), dev)


def load_qalb14_dev(data_root: str | Path, limit: int) -> DevSet:
    """QALB-2014 dev (the selection set; never the test split)."""
    folder = Path(data_root) / "qalb" / "2014" / "dev"
    sources = (folder / "QALB-2014-L1-Dev.sent.no_ids").read_text(encoding="utf-8").splitlines()
    nopnx = folder / "QALB-2014-L1-Dev.nopnx.m2"
    return DevSet(sources=sources, m2_path=folder / "QALB-2014-L1-Dev.m2",
                  nopnx_m2_path=nopnx if nopnx.exists() else None, limit=min(limit, len(sources)))
