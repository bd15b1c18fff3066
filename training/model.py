"""Encoder-decoder transformer with the original system's parameter names.

Layout of the original (built from nn.TransformerEncoder/Decoder): `embedding`, `pos_encoder.pe`,
`encoder.layers.N.{self_attn.in_proj_weight, self_attn.out_proj, linear1, linear2, norm1, norm2}`,
`decoder.layers.N.{self_attn, multihead_attn, linear1, linear2, norm1, norm2, norm3}`, tied
`output_projection`. Attention is written out (same parameter names) so decoding can use a key/value
cache and ONNX export keeps dynamic shapes. Unlike the original, source and target padding are masked.
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from training.config import ModelConfig


class PositionalEncoding(nn.Module):
    def __init__(self, d_model: int, max_len: int, dropout: float):
        super().__init__()
        position = torch.arange(max_len).unsqueeze(1)
        div_term = torch.exp(torch.arange(0, d_model, 2) * (-math.log(10000.0) / d_model))
        pe = torch.zeros(1, max_len, d_model)
        pe[0, :, 0::2] = torch.sin(position * div_term)
        pe[0, :, 1::2] = torch.cos(position * div_term)
        self.register_buffer("pe", pe)
        self.dropout = nn.Dropout(dropout)

    def forward(self, x: Tensor, offset: int | Tensor = 0) -> Tensor:
        # x: (B, T, d_model); offset = number of positions already decoded (KV-cache steps)
        length = x.size(1)
        if isinstance(offset, Tensor):
            pe = self.pe[0].index_select(0, torch.arange(length, device=x.device) + offset)
        else:
            pe = self.pe[0, offset:offset + length]
        return self.dropout(x + pe)


class Attention(nn.Module):
    """Multi-head attention with nn.MultiheadAttention's parameters (in_proj_weight/bias, out_proj)."""

    def __init__(self, d_model: int, nhead: int, dropout: float):
        super().__init__()
        self.nhead, self.head_dim, self.dropout = nhead, d_model // nhead, dropout
        self.in_proj_weight = nn.Parameter(torch.empty(3 * d_model, d_model))
        self.in_proj_bias = nn.Parameter(torch.zeros(3 * d_model))
        self.out_proj = nn.Linear(d_model, d_model)
        nn.init.xavier_uniform_(self.in_proj_weight)
        nn.init.zeros_(self.out_proj.bias)

    def _split_heads(self, x: Tensor) -> Tensor:
        batch, length, _ = x.shape  # (B, T, d) -> (B, H, T, d/H)
        return x.view(batch, length, self.nhead, self.head_dim).transpose(1, 2)

    def project(self, x: Tensor, which: int) -> Tensor:
        """which: 0 query, 1 key, 2 value; returns (B, H, T, d/H)."""
        d = x.size(-1)
        weight = self.in_proj_weight[which * d:(which + 1) * d]
        bias = self.in_proj_bias[which * d:(which + 1) * d]
        return self._split_heads(F.linear(x, weight, bias))

    def attend(self, q: Tensor, k: Tensor, v: Tensor, mask: Tensor | None) -> Tensor:
        # mask: bool, broadcastable to (B, H, Tq, Tk), True where attention is allowed
        dropout = self.dropout if self.training else 0.0
        out = F.scaled_dot_product_attention(q, k, v, attn_mask=mask, dropout_p=dropout)
        batch, _, length, _ = out.shape
        return self.out_proj(out.transpose(1, 2).reshape(batch, length, -1))

    def forward(self, query: Tensor, key_value: Tensor, mask: Tensor | None) -> Tensor:
        return self.attend(self.project(query, 0), self.project(key_value, 1),
                           self.project(key_value, 2), mask)


class FeedForward(nn.Module):
    """Mixin holding linear1/linear2 at the layer level, as nn.Transformer*Layer names them."""

    def feed_forward(self, x: Tensor) -> Tensor:
        return self.linear2(self.dropout(F.relu(self.linear1(x))))


class EncoderLayer(FeedForward, nn.Module):
    def __init__(self, config: ModelConfig):
        nn.Module.__init__(self)
        d, ff = config.d_model, config.dim_feedforward
        self.self_attn = Attention(d, config.nhead, config.dropout)
        self.linear1, self.linear2 = nn.Linear(d, ff), nn.Linear(ff, d)
        self.norm1, self.norm2 = nn.LayerNorm(d), nn.LayerNorm(d)
        self.dropout = nn.Dropout(config.dropout)
        self.dropout1, self.dropout2 = nn.Dropout(config.dropout), nn.Dropout(config.dropout)
        self.norm_first = config.norm_first

    def forward(self, x: Tensor, mask: Tensor | None) -> Tensor:
        if self.norm_first:
            h = self.norm1(x)
            x = x + self.dropout1(self.self_attn(h, h, mask))
            return x + self.dropout2(self.feed_forward(self.norm2(x)))
        x = self.norm1(x + self.dropout1(self.self_attn(x, x, mask)))
        return self.norm2(x + self.dropout2(self.feed_forward(x)))


class DecoderLayer(FeedForward, nn.Module):
    def __init__(self, config: ModelConfig):
        nn.Module.__init__(self)
        d, ff = config.d_model, config.dim_feedforward
        self.self_attn = Attention(d, config.nhead, config.dropout)
        self.multihead_attn = Attention(d, config.nhead, config.dropout)
        self.linear1, self.linear2 = nn.Linear(d, ff), nn.Linear(ff, d)
        self.norm1, self.norm2, self.norm3 = nn.LayerNorm(d), nn.LayerNorm(d), nn.LayerNorm(d)
        self.dropout = nn.Dropout(config.dropout)
        self.dropout1, self.dropout2, self.dropout3 = (nn.Dropout(config.dropout) for _ in range(3))
        self.norm_first = config.norm_first

    def _residual(self, x: Tensor, norm: nn.LayerNorm, drop: nn.Dropout, block) -> Tensor:
        if self.norm_first:
            return x + drop(block(norm(x)))
        return norm(x + drop(block(x)))

    def forward(self, x: Tensor, memory: Tensor, self_mask: Tensor | None, memory_mask: Tensor | None) -> Tensor:
        x = self._residual(x, self.norm1, self.dropout1, lambda h: self.self_attn(h, h, self_mask))
        x = self._residual(x, self.norm2, self.dropout2, lambda h: self.multihead_attn(h, memory, memory_mask))
        return self._residual(x, self.norm3, self.dropout3, self.feed_forward)

    def step(self, x: Tensor, past_k: Tensor, past_v: Tensor, cross_k: Tensor, cross_v: Tensor,
             memory_mask: Tensor | None) -> tuple[Tensor, Tensor, Tensor]:
        """Incremental decoding: x (B, t, d) new positions; past_k/v (B, H, T_past, d/H)."""
        def self_block(h: Tensor) -> Tensor:
            nonlocal past_k, past_v
            past_k = torch.cat([past_k, self.self_attn.project(h, 1)], dim=2)
            past_v = torch.cat([past_v, self.self_attn.project(h, 2)], dim=2)
            mask = causal_step_mask(h.size(1), past_k.size(2), h.device)
            return self.self_attn.attend(self.self_attn.project(h, 0), past_k, past_v, mask)

        x = self._residual(x, self.norm1, self.dropout1, self_block)
        x = self._residual(x, self.norm2, self.dropout2, lambda h: self.multihead_attn.attend(
            self.multihead_attn.project(h, 0), cross_k, cross_v, memory_mask))
        return self._residual(x, self.norm3, self.dropout3, self.feed_forward), past_k, past_v


class Stack(nn.Module):
    """`layers` (+ a final `norm` for pre-LN), named as nn.TransformerEncoder/Decoder name them."""

    def __init__(self, layers: list[nn.Module], d_model: int, final_norm: bool):
        super().__init__()
        self.layers = nn.ModuleList(layers)
        self.norm = nn.LayerNorm(d_model) if final_norm else None

    def finish(self, x: Tensor) -> Tensor:
        return self.norm(x) if self.norm is not None else x


def causal_step_mask(new: int, total: int, device: torch.device) -> Tensor:
    """(new, total) bool: new position i (absolute total-new+i) sees positions <= itself."""
    rows = torch.arange(new, device=device).unsqueeze(1) + (total - new)
    return torch.arange(total, device=device).unsqueeze(0) <= rows


def padding_mask(ids: Tensor, pad_id: int) -> Tensor:
    """(B, T) ids -> (B, 1, 1, T) bool, True on real tokens."""
    return (ids != pad_id)[:, None, None, :]


class TextEncoder(nn.Module):
    """The bidirectional encoder alone (`embedding`, `pos_encoder`, `encoder.*`): what the masked-LM
    pretraining trains, what the edit tagger reads with, and what the seq2seq encoder is warm-started from."""

    def __init__(self, config: ModelConfig):
        super().__init__()
        self.config = config
        d = config.d_model
        self.embedding = nn.Embedding(config.vocab_size, d, padding_idx=config.pad_id)
        self.pos_encoder = PositionalEncoding(d, config.max_seq_len, config.dropout)
        self.encoder = Stack([EncoderLayer(config) for _ in range(config.num_encoder_layers)], d,
                             config.norm_first)
        nn.init.normal_(self.embedding.weight, std=d ** -0.5)

    def embed(self, ids: Tensor, offset: int | Tensor = 0) -> Tensor:
        x = self.embedding(ids)
        if self.config.scale_embedding:
            x = x * math.sqrt(self.config.d_model)
        return self.pos_encoder(x, offset)

    def encode(self, src: Tensor) -> Tensor:
        """src (B, S) -> memory (B, S, d_model)."""
        mask = padding_mask(src, self.config.pad_id)
        x = self.embed(src)
        for layer in self.encoder.layers:
            x = layer(x, mask)
        return self.encoder.finish(x)

    def num_parameters(self) -> int:
        return sum(p.numel() for p in self.parameters())


class Seq2SeqTransformer(TextEncoder):
    def __init__(self, config: ModelConfig):
        super().__init__(config)
        d = config.d_model
        self.decoder = Stack([DecoderLayer(config) for _ in range(config.num_decoder_layers)], d,
                             config.norm_first)
        self.output_projection = nn.Linear(d, config.vocab_size)
        self.output_projection.weight = self.embedding.weight  # tied

    def decode(self, tgt: Tensor, memory: Tensor, src: Tensor) -> Tensor:
        """Teacher-forced decoding: tgt (B, T) -> logits (B, T, V)."""
        length = tgt.size(1)
        causal = causal_step_mask(length, length, tgt.device)[None, None]
        self_mask = causal & padding_mask(tgt, self.config.pad_id)
        self_mask = self_mask | torch.eye(length, dtype=torch.bool, device=tgt.device)  # no empty rows
        memory_mask = padding_mask(src, self.config.pad_id)
        x = self.embed(tgt)
        for layer in self.decoder.layers:
            x = layer(x, memory, self_mask, memory_mask)
        return self.output_projection(self.decoder.finish(x))

    def forward(self, src: Tensor, tgt: Tensor) -> Tensor:
        return self.decode(tgt, self.encode(src), src)
