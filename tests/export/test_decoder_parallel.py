"""The exported decoder takes several new tokens per call (aggressive decoding verifies a draft with it): one
call over a target equals the torch model's teacher-forced log-probs and the one-token steps, from an empty or
a filled cache, on padded batches; the int8 variant keeps the output."""
import numpy as np
import pytest

from export.verify import OnnxSeq2Seq, random_batch
from nahawi.engine.sessions import open_model
from nahawi.model_dir import DECODER_ALL_LOG_PROBS, load_model_info

torch = pytest.importorskip("torch")


@pytest.fixture(scope="module")
def sessions(tiny_model_dir):
    return open_model(tiny_model_dir, "cpu", threads=1)


def _empty(cross_k):
    layers, batch, heads, _, head_dim = cross_k.shape
    return np.zeros((layers, batch, heads, 0, head_dim), dtype=np.float32)


@pytest.mark.parametrize("batch, src_len, tgt_len", [(1, 5, 4), (3, 9, 7)])
def test_one_call_over_a_target_equals_torch_and_the_steps(tiny_model, sessions, tiny_model_dir,
                                                           batch, src_len, tgt_len):
    src, tgt = random_batch(tiny_model.config, batch, src_len, tgt_len, seed=batch)
    with torch.no_grad():
        reference = torch.log_softmax(tiny_model(src, tgt), dim=-1).numpy()  # (B, T, V)
    src, tgt = src.numpy(), tgt.numpy()
    cross_k, cross_v = sessions.encode(src)
    parallel, present_k, _ = sessions.verify(tgt, 0, src, cross_k, cross_v, _empty(cross_k), _empty(cross_k))
    assert parallel.shape == reference.shape and present_k.shape[3] == tgt_len
    np.testing.assert_allclose(parallel, reference, atol=1e-4)
    steps = OnnxSeq2Seq(tiny_model_dir).teacher_forced(src, tgt)
    np.testing.assert_allclose(parallel, steps, atol=1e-4)
    split = tgt_len // 2  # the rest in one call after a cache of `split` positions
    _, past_k, past_v = sessions.verify(tgt[:, :split], 0, src, cross_k, cross_v, _empty(cross_k), _empty(cross_k))
    rest, _, _ = sessions.verify(tgt[:, split:], split, src, cross_k, cross_v, past_k, past_v)
    np.testing.assert_allclose(rest, reference[:, split:], atol=1e-4)


def test_one_token_steps_still_work_and_the_capability_is_recorded(sessions, tiny_model_dir):
    assert sessions.parallel
    info = load_model_info(tiny_model_dir)
    assert DECODER_ALL_LOG_PROBS in info.decoder.outputs
    assert 0 < info.export["verification"]["parity"]["max_abs_parallel"] < 1e-4  # checked by the export
    src = np.array([[40, 41, 3]], dtype=np.int64)
    cross_k, cross_v = sessions.encode(src)
    log_probs, present_k, _ = sessions.step(np.array([[2]]), 0, src, cross_k, cross_v, _empty(cross_k),
                                            _empty(cross_k))
    assert log_probs.shape == (1, info.vocab_size) and present_k.shape[3] == 1


def test_the_int8_variant_keeps_several_tokens_per_call(tiny_sources, tmp_path):
    from export.fixtures import build_tiny_model_dir

    directory = build_tiny_model_dir(tmp_path / "int8", precision="int8", sources=tiny_sources)
    assert DECODER_ALL_LOG_PROBS in load_model_info(directory).decoder.outputs
    sessions = open_model(directory, "cpu", threads=1)
    src = np.array([[40, 41, 42, 3]], dtype=np.int64)
    cross_k, cross_v = sessions.encode(src)
    out, _, _ = sessions.verify(np.array([[2, 40, 41]]), 0, src, cross_k, cross_v, _empty(cross_k),
                                _empty(cross_k))
    assert out.shape == (1, 3, load_model_info(directory).vocab_size) and np.isfinite(out).all()
