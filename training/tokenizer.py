"""SentencePiece tokenizer training for the seq2seq model.

Unigram rather than BPE: Arabic words are stems wrapped in clitics and affixes, and the unigram model
keeps whole frequent words while segmenting rare ones into reusable morpheme-like pieces; it also
supports subword sampling (`enable_sampling`) should the trainer want robustness to noisy input.

Round-trip contract: identity normalisation, `remove_extra_whitespaces=False`, `add_dummy_prefix=True`
(the first word is pieced like every other word) and `byte_fallback=True` make
`decode(encode(x)) == x` exact for any string, runs of spaces, tabs and newlines included (each
space is its own `▁` piece). The model nevertheless only ever sees single-space-joined,
punctuation-tokenised text (`nahawi.text.tokenize_punct`); the engine maps output back onto the
user's spacing. Special ids are fixed: pad 0, unk 1, bos 2, eos 3. Knows nothing about models.
"""
from __future__ import annotations

import json
import random
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from nahawi.errors import ConfigError, InputError
from training.data.readers import iter_monolingual

PAD_ID, UNK_ID, BOS_ID, EOS_ID = 0, 1, 2, 3


@dataclass(frozen=True)
class TokenizerConfig:
    vocab_size: int = 16_000  # 16000 for small models, 32000 for the base config
    model_type: str = "unigram"  # see the module docstring for why not "bpe"
    corpus_lines: int = 200_000  # clean corpus paragraphs sampled into the training text
    input_sentence_size: int = 400_000  # SentencePiece samples at most this many lines
    character_coverage: float = 0.9999  # rarer characters fall back to bytes
    seed: int = 1234  # sampling seed
    threads: int = 1  # SentencePiece trainer threads
    control_symbols: tuple[str, ...] = ()  # reserved ids after eos that text never produces (e.g. "<mask>")

    def __post_init__(self):
        if self.vocab_size < 300 or self.model_type not in ("unigram", "bpe"):
            raise ConfigError(f"bad tokenizer config: vocab_size={self.vocab_size} (>= 300), "
                              f"model_type={self.model_type!r} (unigram or bpe)")


def _training_lines(data_dir: Path, corpus_files: list[Path], config: TokenizerConfig) -> list[str]:
    """Training targets of train.jsonl plus a sample of punctuation-tokenised clean paragraphs."""
    from nahawi.text import tokenize_punct

    lines: list[str] = []
    train = data_dir / "train.jsonl"
    if not train.exists():
        raise InputError(f"{train} not found: run `nahawi train prepare --out {data_dir}` first")
    seen: set[str] = set()
    with open(train, encoding="utf-8") as handle:
        for line in handle:
            target = json.loads(line)["target"]
            if target not in seen:  # upsampled real pairs would otherwise weigh several times
                seen.add(target)
                lines.append(target)
    paragraphs = [p for path in corpus_files for p in iter_monolingual(path)]
    random.Random(config.seed).shuffle(paragraphs)
    lines.extend(tokenize_punct(p) for p in paragraphs[:config.corpus_lines])
    return lines


def train_tokenizer(data_dir: str | Path, out: str | Path, config: TokenizerConfig = TokenizerConfig(),
                    corpus_files: list[Path] | None = None, log=print) -> dict:
    """Train `out` (a `.model` path; `.vocab` and `.json` written beside it); returns the summary."""
    _check_model_path(Path(out))
    lines = _training_lines(Path(data_dir), list(corpus_files or []), config)
    return train_on_lines(lines, out, config, log)


def _check_model_path(out: Path) -> None:
    if out.suffix != ".model":
        raise InputError(f"--out must end in .model, got {out}")


def train_on_lines(lines: list[str], out: str | Path, config: TokenizerConfig, log=print) -> dict:
    """Train a SentencePiece model on `lines` with the round-trip contract and the fixed special ids."""
    import sentencepiece as spm

    started = time.time()
    out = Path(out)
    _check_model_path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile("w", encoding="utf-8", suffix=".txt", delete=False) as handle:
        handle.write("\n".join(line.replace("\n", " ") for line in lines) + "\n")
        text_path = handle.name
    try:
        spm.SentencePieceTrainer.train(
            input=text_path, model_prefix=str(out.with_suffix("")), vocab_size=config.vocab_size,
            model_type=config.model_type, normalization_rule_name="identity", remove_extra_whitespaces=False,
            add_dummy_prefix=True, byte_fallback=True, character_coverage=config.character_coverage,
            pad_id=PAD_ID, unk_id=UNK_ID, bos_id=BOS_ID, eos_id=EOS_ID, pad_piece="<pad>", unk_piece="<unk>",
            bos_piece="<s>", eos_piece="</s>", input_sentence_size=config.input_sentence_size,
            shuffle_input_sentence=True, seed_sentencepiece_size=1_000_000, num_threads=config.threads,
            max_sentence_length=16384, train_extremely_large_corpus=False, minloglevel=2,
            control_symbols=list(config.control_symbols),
        )
    finally:
        Path(text_path).unlink(missing_ok=True)
    summary = {"model": str(out), "config": asdict(config), "training_lines": len(lines),
               "special_ids": {"pad": PAD_ID, "unk": UNK_ID, "bos": BOS_ID, "eos": EOS_ID},
               "seconds": round(time.time() - started, 1)}
    out.with_suffix(".json").write_text(json.dumps(summary, indent=2) + "\n")
    log(f"tokenizer: {out} (vocab {config.vocab_size}, {len(lines)} lines, {summary['seconds']} s)")
    return summary


def load_tokenizer(path: str | Path):
    """A `sentencepiece.SentencePieceProcessor`, checking the fixed special ids."""
    import sentencepiece as spm

    path = Path(path)
    if not path.exists():
        raise InputError(f"tokenizer model not found: {path}")
    processor = spm.SentencePieceProcessor(model_file=str(path))
    ids = (processor.pad_id(), processor.unk_id(), processor.bos_id(), processor.eos_id())
    if ids != (PAD_ID, UNK_ID, BOS_ID, EOS_ID):
        raise InputError(f"{path}: special ids {ids}, expected (0, 1, 2, 3) for pad/unk/bos/eos")
    return processor


def roundtrip_failures(processor, lines) -> list[str]:
    """Lines for which decode(encode(line)) != line (empty when the contract holds)."""
    return [line for line in lines if processor.decode(processor.encode(line)) != line]
