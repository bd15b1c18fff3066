"""Greedy decoding in PyTorch with a key/value cache (used for dev evaluation during training)."""
from __future__ import annotations

import torch
from torch import Tensor

from training.model import Seq2SeqTransformer, padding_mask


@torch.no_grad()
def greedy_decode(model: Seq2SeqTransformer, src: Tensor, max_len_a: float = 1.2, max_len_b: int = 10) -> list[list[int]]:
    """src (B, S) padded ids ending in eos -> generated ids per row (without bos/eos)."""
    config = model.config
    batch = src.size(0)
    memory = model.encode(src)
    memory_mask = padding_mask(src, config.pad_id)
    layers = model.decoder.layers
    cross = [(layer.multihead_attn.project(memory, 1), layer.multihead_attn.project(memory, 2)) for layer in layers]
    heads, head_dim = layers[0].self_attn.nhead, layers[0].self_attn.head_dim
    past = [(memory.new_zeros(batch, heads, 0, head_dim), memory.new_zeros(batch, heads, 0, head_dim))
            for _ in layers]
    src_len = (src != config.pad_id).sum(1)
    limit = torch.clamp((src_len.float() * max_len_a + max_len_b).long(), max=config.max_seq_len - 1)
    token = torch.full((batch, 1), config.bos_id, dtype=torch.long, device=src.device)
    done = torch.zeros(batch, dtype=torch.bool, device=src.device)
    outputs: list[Tensor] = []
    for step in range(int(limit.max())):
        x = model.embed(token, step)
        for index, layer in enumerate(layers):
            x, k, v = layer.step(x, past[index][0], past[index][1], cross[index][0], cross[index][1], memory_mask)
            past[index] = (k, v)
        token = model.output_projection(model.decoder.finish(x))[:, -1].argmax(-1, keepdim=True)
        done |= (token.squeeze(1) == config.eos_id) | (step >= limit)
        outputs.append(torch.where(done.unsqueeze(1), torch.full_like(token, config.eos_id), token))
        if done.all():
            break
    rows = torch.cat(outputs, 1).tolist() if outputs else [[] for _ in range(batch)]
    return [row[:row.index(config.eos_id)] if config.eos_id in row else row for row in rows]
