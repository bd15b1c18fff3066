"""Model configurations: one frozen dataclass, named presets, and the original system's config JSON."""
from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from pathlib import Path

from nahawi.errors import ConfigError


def check_keys(cls, values: dict, what: str) -> None:
    """Unknown keys are errors (a typo must not fall back to a default silently)."""
    unknown = sorted(set(values) - {f.name for f in dataclasses.fields(cls)})
    if unknown:
        raise ConfigError(f"unknown {what} keys: {', '.join(unknown)}")


@dataclass(frozen=True)
class ModelConfig:
    vocab_size: int = 16000  # SentencePiece vocabulary size (pad 0, unk 1, bos 2, eos 3)
    d_model: int = 256  # hidden size
    nhead: int = 4  # attention heads
    num_encoder_layers: int = 3  # encoder depth
    num_decoder_layers: int = 3  # decoder depth
    dim_feedforward: int = 1024  # FFN inner size
    dropout: float = 0.1  # dropout in attention, FFN and embeddings
    max_seq_len: int = 256  # longest sequence (tokens) and size of the sinusoidal table
    norm_first: bool = False  # pre-LN (adds final encoder/decoder norms); the original system is post-LN
    scale_embedding: bool = True  # multiply embeddings by sqrt(d_model), as the original system does
    pad_id: int = 0
    unk_id: int = 1
    bos_id: int = 2
    eos_id: int = 3

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, values: dict) -> ModelConfig:
        check_keys(cls, values, "model config")
        return cls(**values)


PRESETS: dict[str, ModelConfig] = {
    # trains on a 2-core CPU in a few hours
    "tiny": ModelConfig(vocab_size=8000, d_model=256, nhead=4, num_encoder_layers=4, num_decoder_layers=3,
                        dim_feedforward=1024, dropout=0.1, max_seq_len=256, norm_first=True),
    # the original 124M system
    "base": ModelConfig(vocab_size=32000, d_model=768, nhead=12, num_encoder_layers=6, num_decoder_layers=6,
                        dim_feedforward=3072, dropout=0.1, max_seq_len=256, norm_first=False),
    # the contextual encoder (masked-LM pretraining, then the edit tagger); encoder only
    "encoder-small": ModelConfig(vocab_size=16000, d_model=256, nhead=4, num_encoder_layers=6, num_decoder_layers=0,
                                 dim_feedforward=1024, dropout=0.1, max_seq_len=256, norm_first=True),
    "encoder-medium": ModelConfig(vocab_size=16000, d_model=384, nhead=6, num_encoder_layers=6,
                                  num_decoder_layers=0, dim_feedforward=1536, dropout=0.1, max_seq_len=256,
                                  norm_first=True),
    # the CPU seq2seq warm-started from encoder-small (training.warm_start): its deep encoder, a 2-layer decoder
    "seq2seq-warm": ModelConfig(vocab_size=16000, d_model=256, nhead=4, num_encoder_layers=6, num_decoder_layers=2,
                                dim_feedforward=1024, dropout=0.1, max_seq_len=256, norm_first=True),
    # test fixtures
    "test": ModelConfig(vocab_size=300, d_model=32, nhead=2, num_encoder_layers=2, num_decoder_layers=2,
                        dim_feedforward=64, dropout=0.0, max_seq_len=64, norm_first=False),
}

ORIGINAL_KEYS = ("vocab_size", "d_model", "nhead", "num_encoder_layers", "num_decoder_layers",
                 "dim_feedforward", "dropout", "max_seq_len")


def load_model_config(path: str | Path) -> ModelConfig:
    """Read our config JSON or the original system's (only ORIGINAL_KEYS; extra training keys ignored)."""
    try:
        values = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise ConfigError(f"cannot read model config {path}: {error}") from error
    if isinstance(values.get("model"), dict):
        values = values["model"]
    if "norm_first" in values or "scale_embedding" in values:
        return ModelConfig.from_dict(values)
    missing = [k for k in ORIGINAL_KEYS if k not in values]
    if missing:
        raise ConfigError(f"{path}: missing model config keys: {', '.join(missing)}")
    return ModelConfig(**{k: values[k] for k in ORIGINAL_KEYS})


def preset(name: str) -> ModelConfig:
    if name not in PRESETS:
        raise ConfigError(f"unknown model preset {name!r}; choose one of {', '.join(PRESETS)}")
    return PRESETS[name]
