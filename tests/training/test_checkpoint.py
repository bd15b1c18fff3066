"""Checkpoints load in every layout the original system wrote, and never execute code."""
import os

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="needs the 'train' extra (torch)")


from original_layout import Orig

from nahawi.errors import ModelError
from training.checkpoint import load_model, safe_load, save_atomically


@pytest.mark.parametrize("wrap", [False, True], ids=["bare-state-dict", "model_state_dict"])
def test_original_checkpoints_load_without_renaming(tmp_path, test_config, wrap):
    original = Orig().eval()
    state = original.state_dict()
    torch.save({"model_state_dict": state, "epoch": 3} if wrap else state, tmp_path / "orig.pt")
    model, _ = load_model(tmp_path / "orig.pt", config=test_config)
    src, tgt = torch.randint(4, 300, (2, 6)), torch.randint(4, 300, (2, 4))
    assert torch.allclose(model.eval()(src, tgt), original(src, tgt), atol=1e-5)


class Payload:
    def __reduce__(self):
        return (print, ("pwned",))


def test_checkpoint_needing_code_execution_is_refused(tmp_path):
    torch.save({"model_state_dict": Payload()}, tmp_path / "evil.pt")
    with pytest.raises(ModelError, match="refused"):
        safe_load(tmp_path / "evil.pt")


def _message(path) -> str:
    with pytest.raises(ModelError) as caught:
        safe_load(path)
    message = str(caught.value)
    assert "\n" not in message and str(path) in message
    return message


def test_refusal_message_names_what_the_file_would_call_instead_of_cutting_mid_word(tmp_path):
    """The refusal used to be torch's text cut at 120 characters, before it named the class."""
    torch.save({"model_state_dict": Payload()}, tmp_path / "evil.pt")
    message = _message(tmp_path / "evil.pt")
    assert message.endswith("would execute code (it calls print)")


class CallsSystem:
    def __reduce__(self):
        return (os.system, ("true",))


def test_a_pickle_calling_os_system_is_not_reported_as_corrupt(tmp_path):
    """torch words a global from a blocked module (os, sys) differently; it was called 'corrupt or truncated'."""
    torch.save({"model_state_dict": CallsSystem()}, tmp_path / "evil.pt")
    assert _message(tmp_path / "evil.pt").endswith(f"would execute code (it calls {os.system.__module__}.system)")


def test_random_bytes_are_not_reported_as_code_execution(tmp_path):
    for seed in range(20):
        (tmp_path / "noise.pt").write_bytes(np.random.default_rng(seed).bytes(4096))
        message = _message(tmp_path / "noise.pt")
        assert "execute code" not in message and "not a PyTorch checkpoint" in message


def test_an_empty_file_says_it_is_empty(tmp_path):
    """It used to say 'corrupt or truncated checkpoint ()'."""
    (tmp_path / "empty.pt").write_bytes(b"")
    assert _message(tmp_path / "empty.pt").endswith("empty file, not a checkpoint")


def test_truncated_checkpoint_is_a_clear_error(tmp_path):
    torch.save(Orig().state_dict(), tmp_path / "ok.pt")
    data = (tmp_path / "ok.pt").read_bytes()
    (tmp_path / "cut.pt").write_bytes(data[: len(data) // 2])
    message = _message(tmp_path / "cut.pt")
    assert "corrupt or truncated checkpoint (failed reading zip archive" in message


def test_missing_checkpoint_names_the_path(tmp_path):
    with pytest.raises(ModelError, match="nope.pt"):
        safe_load(tmp_path / "nope.pt")


class Unpicklable:
    def __reduce__(self):
        raise RuntimeError("disk full")


def test_a_save_that_fails_midway_leaves_the_previous_file_whole(tmp_path):
    """Two DDP ranks share the encoding cache: a reader must never find a half-written file there."""
    target = tmp_path / "cache.pt"
    save_atomically({"src": list(range(1000))}, target)
    with pytest.raises(RuntimeError, match="disk full"):
        save_atomically({"src": list(range(1000)), "bad": Unpicklable()}, target)
    assert torch.load(target, weights_only=True)["src"] == list(range(1000))
    assert [p.name for p in tmp_path.iterdir()] == ["cache.pt"]
