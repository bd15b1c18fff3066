"""Warm start of the seq2seq from the pretrained Arabic encoder (`nahawi train pretrain`'s encoder.pt) or from
an edit tagger's encoder (`nahawi train tagger`'s checkpoints: the same encoder, trained on corrections).

What is copied, and why:
- the embedding table (tied to the output projection, so the decoder's output layer starts pretrained too)
  and every encoder layer (+ the final encoder norm of a pre-LN model): the seq2seq encoder *is* a
  TextEncoder, the same modules under the same names;
- decoder layer i <- encoder layer i, for i below the decoder's depth: its self-attention (norm1 around it)
  and its feed-forward block (norm3 around it, the encoder's norm2). The lowest encoder layers are the ones
  trained to read the raw embeddings of this very table, which is what the first decoder layers read; the
  self-attention was bidirectional in pretraining and is causal here, which still helps (Rothe et al. 2020,
  "Leveraging Pre-trained Checkpoints for Sequence Generation Tasks", https://arxiv.org/abs/1907.12461);
- the decoder's final norm (pre-LN) <- the encoder's final norm: both feed the tied embedding table.
The cross-attention (`multihead_attn`, norm2) has no pretrained counterpart and keeps its random init, as in
Rothe et al. The sinusoidal position table is a formula, not a weight: never copied.

The encoder's tokenizer must be the seq2seq's (same ids for the same pieces): the vocabulary sizes must agree
and, when the pretraining run's config.json names its tokenizer, the files must be byte-identical.
Owns the mapping and its checks; knows nothing of the training loop.
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

from torch import Tensor

from nahawi.errors import ConfigError
from training.config import ModelConfig

# Architecture fields that shape the copied weights: they must be equal in the encoder and the seq2seq.
SHAPE_FIELDS = ("vocab_size", "d_model", "nhead", "dim_feedforward", "num_encoder_layers", "norm_first",
                "scale_embedding")
# decoder layer parameter prefix -> encoder layer parameter prefix (same shapes)
DECODER_FROM_ENCODER = {"self_attn.": "self_attn.", "linear1.": "linear1.", "linear2.": "linear2.",
                        "norm1.": "norm1.", "norm3.": "norm2."}


def check_fits(encoder: ModelConfig, seq2seq: ModelConfig, path: str) -> None:
    """ConfigError naming every field on which the encoder does not fit the seq2seq's architecture."""
    wrong = [f"{name} {getattr(encoder, name)} (the seq2seq has {getattr(seq2seq, name)})"
             for name in SHAPE_FIELDS if getattr(encoder, name) != getattr(seq2seq, name)]
    if wrong:
        raise ConfigError(f"{path} does not fit the seq2seq: {'; '.join(wrong)}. Pick a model preset of "
                          "the encoder's shape (e.g. seq2seq-warm for encoder-small) and its tokenizer")


def check_tokenizer(encoder_path: str, tokenizer: str) -> str:
    """The tokenizer the pretraining run recorded must be the seq2seq's (same bytes). Returns the recorded
    path ("" when the run recorded none: then only the vocabulary size is checked)."""
    recorded = encoder_tokenizer(encoder_path)
    if recorded is None:
        return ""
    if _sha256(recorded) != _sha256(Path(tokenizer)):
        raise ConfigError(f"the tokenizer must be the encoder's: {tokenizer} differs from {recorded}, which "
                          f"{encoder_path} was pretrained with")
    return str(recorded)


def encoder_tokenizer(encoder_path: str | Path) -> Path | None:
    """The tokenizer of the run that wrote encoder_path: config.json's `tokenizer` beside it (a tagger run's
    under `tagger`; as recorded, or by its name beside the checkpoint when the run was made elsewhere), else
    spm.model there."""
    folder = Path(encoder_path).parent
    try:
        run_config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
        recorded = run_config.get("tokenizer") or (run_config.get("tagger") or {}).get("tokenizer") or ""
    except (OSError, ValueError, AttributeError):
        recorded = ""
    for candidate in (Path(recorded) if recorded else None, folder / Path(recorded).name if recorded else None,
                      folder / "spm.model"):
        if candidate is not None and candidate.is_file():
            return candidate
    return None


def _sha256(path: Path) -> str:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError as error:
        raise ConfigError(f"cannot read tokenizer {path}: {error}") from None


def warm_state(encoder_state: dict[str, Tensor], seq2seq: ModelConfig) -> dict[str, Tensor]:
    """The seq2seq parameters that start from the encoder: its own names plus the decoder copies."""
    state = {k: v for k, v in encoder_state.items() if k != "pos_encoder.pe"}
    for layer in range(min(seq2seq.num_decoder_layers, seq2seq.num_encoder_layers)):
        for target, source in DECODER_FROM_ENCODER.items():
            prefix = f"encoder.layers.{layer}.{source}"
            for key, value in encoder_state.items():
                if key.startswith(prefix):
                    state[f"decoder.layers.{layer}.{target}{key[len(prefix):]}"] = value.clone()
    if seq2seq.norm_first and "encoder.norm.weight" in encoder_state:
        state["decoder.norm.weight"] = encoder_state["encoder.norm.weight"].clone()
        state["decoder.norm.bias"] = encoder_state["encoder.norm.bias"].clone()
    return state


def warm_start(model, path: str, tokenizer: str, log) -> dict:
    """Load encoder.pt at `path` into the seq2seq `model` (see the module docstring); returns what was loaded
    (for the run's config.json). ConfigError when the encoder does not fit or its tokenizer is not ours."""
    from training.pretrain import load_encoder

    encoder_state, encoder_config, payload = load_encoder(path)
    check_fits(encoder_config, model.config, path)
    recorded_tokenizer = check_tokenizer(path, tokenizer)
    state = warm_state(encoder_state, model.config)
    missing, unexpected = model.load_state_dict(state, strict=False)
    if unexpected:
        raise ConfigError(f"{path} does not fit the seq2seq: unexpected weights {unexpected[:3]}")
    loaded = sorted({_group(k) for k in state})
    random = sorted({_group(k) for k in missing if k not in ("pos_encoder.pe", "output_projection.weight")})
    log(f"warm start from {path} (step {payload.get('step')}): loaded {', '.join(loaded)}; "
        f"random init: {', '.join(random) or 'nothing'}")
    return {"path": path, "step": payload.get("step"), "tokens": payload.get("tokens"),
            "held_out": payload.get("held_out"), "tokenizer": recorded_tokenizer, "loaded": loaded,
            "random": random}


def _group(key: str) -> str:
    """A parameter name as the block it belongs to: decoder.layers.0.self_attn.in_proj_weight ->
    decoder.layers.0.self_attn."""
    parts = key.split(".")
    if parts[0] in ("encoder", "decoder") and len(parts) > 3 and parts[1] == "layers":
        return ".".join(parts[:4])
    return ".".join(parts[:-1]) or key
