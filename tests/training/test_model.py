"""The transformer keeps the original system's layout and decodes incrementally without drift."""
import pytest

torch = pytest.importorskip("torch", reason="needs the 'train' extra (torch)")


from original_layout import Orig

from training.checkpoint import config_from_state_dict, load_model, save_checkpoint
from training.decode import greedy_decode
from training.model import Seq2SeqTransformer


def test_state_dict_keys_match_the_original_layout(test_config):
    ours = set(Seq2SeqTransformer(test_config).state_dict())
    original = set(Orig().state_dict())
    assert ours == original


def test_original_weights_give_identical_outputs_without_padding(test_config, batch):
    original = Orig().eval()
    model = Seq2SeqTransformer(test_config).eval()
    model.load_state_dict(original.state_dict())
    src, tgt = torch.randint(4, 300, (2, 8)), torch.randint(4, 300, (2, 5))
    assert torch.allclose(original(src, tgt), model(src, tgt), atol=1e-5)


def test_padding_does_not_change_real_positions(test_config):
    model = Seq2SeqTransformer(test_config).eval()
    src, tgt = torch.randint(4, 300, (1, 6)), torch.randint(4, 300, (1, 4))
    padded_src = torch.cat([src, torch.zeros(1, 5, dtype=torch.long)], 1)
    padded_tgt = torch.cat([tgt, torch.zeros(1, 3, dtype=torch.long)], 1)
    assert torch.allclose(model(src, tgt), model(padded_src, padded_tgt)[:, :4], atol=1e-5)


def test_incremental_decoding_matches_teacher_forcing(test_config, batch):
    model = Seq2SeqTransformer(test_config).eval()
    src, tgt = batch
    full = model(src, tgt)
    memory = model.encode(src)
    mask = (src != 0)[:, None, None, :]
    layers = model.decoder.layers
    heads, dim = layers[0].self_attn.nhead, layers[0].self_attn.head_dim
    past = [(torch.zeros(3, heads, 0, dim), torch.zeros(3, heads, 0, dim)) for _ in layers]
    steps = []
    for t in range(tgt.size(1)):
        x = model.embed(tgt[:, t:t + 1], t)
        for i, layer in enumerate(layers):
            cross_k, cross_v = layer.multihead_attn.project(memory, 1), layer.multihead_attn.project(memory, 2)
            x, k, v = layer.step(x, past[i][0], past[i][1], cross_k, cross_v, mask)
            past[i] = (k, v)
        steps.append(model.output_projection(model.decoder.finish(x)))
    assert torch.allclose(torch.cat(steps, 1), full, atol=1e-5)


def test_greedy_decode_respects_the_length_limit(test_config, batch):
    model = Seq2SeqTransformer(test_config).eval()
    src, _ = batch
    outputs = greedy_decode(model, src, max_len_a=0.5, max_len_b=2)
    lengths = (src != 0).sum(1).tolist()
    assert all(len(out) <= int(n * 0.5 + 2) for out, n in zip(outputs, lengths))


def test_checkpoint_round_trip_and_shape_inference(tmp_path, test_config):
    model = Seq2SeqTransformer(test_config)
    save_checkpoint(tmp_path / "ckpt.pt", model, step=7)
    loaded, payload = load_model(tmp_path / "ckpt.pt")
    assert payload["step"] == 7 and loaded.config == test_config
    inferred = config_from_state_dict(model.state_dict(), nhead=test_config.nhead)
    assert (inferred.d_model, inferred.num_encoder_layers, inferred.dim_feedforward) == (32, 2, 64)
