import math

import torch
from torch import nn


class PositionalEncoding(nn.Module):
    def __init__(self, d_model, max_len=256, dropout=0.1):
        super().__init__(); self.dropout = nn.Dropout(dropout)
        pe = torch.zeros(max_len, d_model); pos = torch.arange(max_len).unsqueeze(1).float()
        div = torch.exp(torch.arange(0, d_model, 2).float() * (-math.log(10000.0) / d_model))
        pe[:, 0::2] = torch.sin(pos * div); pe[:, 1::2] = torch.cos(pos * div)
        self.register_buffer('pe', pe.unsqueeze(0))
class Orig(nn.Module):
    def __init__(s, vocab_size=300, d_model=32, nhead=2, num_encoder_layers=2, num_decoder_layers=2, dim_feedforward=64, dropout=0.0, max_seq_len=64):
        super().__init__()
        s.embedding = nn.Embedding(vocab_size, d_model, padding_idx=0)
        s.pos_encoder = PositionalEncoding(d_model, max_seq_len, dropout)
        s.encoder = nn.TransformerEncoder(nn.TransformerEncoderLayer(d_model, nhead, dim_feedforward, dropout, batch_first=True), num_encoder_layers)
        s.decoder = nn.TransformerDecoder(nn.TransformerDecoderLayer(d_model, nhead, dim_feedforward, dropout, batch_first=True), num_decoder_layers)
        s.output_projection = nn.Linear(d_model, vocab_size); s.output_projection.weight = s.embedding.weight
        s.d_model = d_model
    def forward(s, src, tgt):
        x = s.pos_encoder.dropout(s.embedding(src) * math.sqrt(s.d_model) + s.pos_encoder.pe[:, :src.size(1)])
        mem = s.encoder(x)
        y = s.pos_encoder.dropout(s.embedding(tgt) * math.sqrt(s.d_model) + s.pos_encoder.pe[:, :tgt.size(1)])
        mask = nn.Transformer.generate_square_subsequent_mask(tgt.size(1))
        return s.output_projection(s.decoder(y, mem, tgt_mask=mask))
