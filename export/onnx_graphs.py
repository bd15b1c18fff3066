"""The two ONNX graphs of a model directory and the wrapper modules they are exported from.

`encoder.onnx`
    inputs   src_ids   int64 (batch, src_len): padded with pad id 0, each row ends with eos 3
    outputs  cross_k   float32 (L_dec, batch, H, src_len, d/H): every decoder layer's cross-attention keys
             cross_v   float32 (L_dec, batch, H, src_len, d/H): ... and values, computed once per input

`decoder.onnx` (one incremental step with a key/value cache, over one or several new tokens)
    inputs   input_ids int64 (batch, new): the last generated token (bos 2 at the first step), or several
                       tokens at once (a draft verified in one pass: aggressive decoding); new >= 1
             step      int64 scalar: position of the first of them (0 for bos); equals past_len
             src_ids   int64 (batch, src_len): the encoder input, used for the source padding mask
             cross_k, cross_v  float32 (L_dec, batch, H, src_len, d/H): from the encoder
             past_k, past_v    float32 (L_dec, batch, H, past_len, d/H): self-attention cache; past_len = 0
                               at the first step (a zero-length axis, no dummy slot)
    outputs  log_probs float32 (batch, V): log-softmax of the next-token logits (after the last new token)
             present_k, present_v float32 (L_dec, batch, H, past_len + new, d/H): the cache for the next step
             all_log_probs float32 (batch, new, V): the log-softmax after each new token. Graphs exported
                       before this output existed take one token per call (input_ids (batch, 1)); the
                       output's name in model.json's graphs.decoder.outputs records the capability

batch, src_len, past_len and new are dynamic. Positions must stay below max_seq_len (step < max_seq_len,
src_len <= max_seq_len): the sinusoidal table has no more rows. Exported with the dynamo exporter
(`torch.onnx.export(dynamo=True, dynamic_shapes=...)`), which keeps attention shapes symbolic.
This module knows the model's structure; it does not verify, quantize or write model.json.
"""
from __future__ import annotations

import contextlib
import io
import logging
import warnings
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from nahawi.model_dir import (
    DECODER_ALL_LOG_PROBS,
    DECODER_FILE,
    DECODER_INPUTS,
    DECODER_OUTPUTS,
    ENCODER_FILE,
    ENCODER_INPUTS,
    ENCODER_OUTPUTS,
)
from training.config import ModelConfig
from training.model import Seq2SeqTransformer, padding_mask

OPSET = 20
EXPORT_SHAPES = (2, 7, 3)  # (batch, src_len, past_len) traced at export; verification uses others
EXPORT_NEW_TOKENS = 2  # new tokens traced at export: a traced 1 would be fixed to 1 in the graph


class EncoderGraph(nn.Module):
    def __init__(self, model: Seq2SeqTransformer):
        super().__init__()
        self.model = model

    def forward(self, src_ids: Tensor) -> tuple[Tensor, Tensor]:
        memory = self.model.encode(src_ids)  # (B, S, d)
        layers = self.model.decoder.layers
        cross_k = torch.stack([layer.multihead_attn.project(memory, 1) for layer in layers])
        cross_v = torch.stack([layer.multihead_attn.project(memory, 2) for layer in layers])
        return cross_k, cross_v  # (L_dec, B, H, S, d/H) each


class DecoderGraph(nn.Module):
    def __init__(self, model: Seq2SeqTransformer):
        super().__init__()
        self.model = model

    def forward(self, input_ids: Tensor, step: Tensor, src_ids: Tensor, cross_k: Tensor, cross_v: Tensor,
                past_k: Tensor, past_v: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        memory_mask = padding_mask(src_ids, self.model.config.pad_id)  # (B, 1, 1, S)
        x = self.model.embed(input_ids, step)  # (B, N, d)
        present_k, present_v = [], []
        for index, layer in enumerate(self.model.decoder.layers):
            x, k, v = layer.step(x, past_k[index], past_v[index], cross_k[index], cross_v[index], memory_mask)
            present_k.append(k)
            present_v.append(v)
        all_log_probs = F.log_softmax(self.model.output_projection(self.model.decoder.finish(x)), dim=-1)
        # (B, N, V); log_probs (B, V) is its last row: one step costs what it cost before
        return all_log_probs[:, -1], torch.stack(present_k), torch.stack(present_v), all_log_probs


def sample_source(config: ModelConfig, batch: int, src_len: int, seed: int = 0) -> Tensor:
    """Random (batch, src_len) ids ending in eos; every other row is shorter and padded."""
    generator = torch.Generator().manual_seed(seed)
    src = torch.randint(4, config.vocab_size, (batch, src_len), generator=generator)
    src[:, -1] = config.eos_id
    for row in range(1, batch, 2):
        keep = max(1, src_len - row - 1)
        src[row, keep:] = config.pad_id
        src[row, keep - 1] = config.eos_id
    return src


def decoder_inputs(model: Seq2SeqTransformer, src: Tensor, past_len: int, seed: int = 0,
                   new_tokens: int = 1) -> dict[str, Tensor]:
    """A complete set of decoder inputs (random cache of past_len positions, new_tokens new ids) for src."""
    config, batch = model.config, src.size(0)
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        cross_k, cross_v = EncoderGraph(model)(src)
    heads = model.decoder.layers[0].self_attn.nhead
    cache = (config.num_decoder_layers, batch, heads, past_len, config.d_model // heads)
    return {"input_ids": torch.randint(4, config.vocab_size, (batch, new_tokens), generator=generator),
            "step": torch.tensor(past_len, dtype=torch.long), "src_ids": src,
            "cross_k": cross_k, "cross_v": cross_v,
            "past_k": torch.randn(cache, generator=generator), "past_v": torch.randn(cache, generator=generator)}


def _dims() -> tuple:
    Dim = torch.export.Dim
    return Dim("batch"), Dim("src_len"), Dim("past_len", min=0), Dim("new_tokens")


def _export(module: nn.Module, args: tuple, path: Path, inputs: tuple, outputs: tuple, shapes: dict,
            opset: int) -> None:
    # The exporter prints progress, deprecation chatter and "torchvision is not installed" for every
    # graph; callers report their own progress.
    registration = logging.getLogger("torch.onnx._internal.exporter._registration")
    level = registration.level
    registration.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()), torch.no_grad():
            warnings.simplefilter("ignore")
            torch.onnx.export(module, args, str(path), input_names=list(inputs), output_names=list(outputs),
                              dynamo=True, dynamic_shapes=shapes, external_data=False, opset_version=opset,
                              verbose=False)
    finally:
        registration.setLevel(level)


def export_graphs(model: Seq2SeqTransformer, directory: str | Path, opset: int = OPSET) -> dict[str, Path]:
    """Export encoder.onnx and decoder.onnx (fp32) of an eval-mode model into directory."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    model.eval()
    batch, src_len, past_len = EXPORT_SHAPES
    src = sample_source(model.config, batch, src_len)
    B, S, T, N = _dims()
    paths = {"encoder": directory / ENCODER_FILE, "decoder": directory / DECODER_FILE}
    _export(EncoderGraph(model), (src,), paths["encoder"], ENCODER_INPUTS, ENCODER_OUTPUTS,
            {"src_ids": {0: B, 1: S}}, opset)
    inputs = decoder_inputs(model, src, past_len, new_tokens=EXPORT_NEW_TOKENS)
    cache = {1: B, 3: T}
    shapes = {"input_ids": {0: B, 1: N}, "step": None, "src_ids": {0: B, 1: S}, "cross_k": {1: B, 3: S},
              "cross_v": {1: B, 3: S}, "past_k": cache, "past_v": cache}
    _export(DecoderGraph(model), tuple(inputs[name] for name in DECODER_INPUTS), paths["decoder"],
            DECODER_INPUTS, (*DECODER_OUTPUTS, DECODER_ALL_LOG_PROBS), shapes, opset)
    return paths


def graph_io(path: str | Path) -> dict[str, list[dict]]:
    """Names, element types and (symbolic) shapes of a graph's inputs and outputs, for model.json."""
    import onnx

    graph = onnx.load(str(path), load_external_data=False).graph

    def describe(values) -> list[dict]:
        return [{"name": value.name,
                 "dtype": onnx.helper.tensor_dtype_to_np_dtype(value.type.tensor_type.elem_type).name,
                 "shape": [dim.dim_param or dim.dim_value for dim in value.type.tensor_type.shape.dim]}
                for value in values]

    return {"inputs": describe(graph.input), "outputs": describe(graph.output)}
