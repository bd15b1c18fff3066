"""Checkpoints load in every layout the original system wrote, and never execute code."""
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


def test_truncated_checkpoint_is_a_clear_error(tmp_path):
    torch.save(Orig().state_dict(), tmp_path / "ok.pt")
    data = (tmp_path / "ok.pt").read_bytes()
    (tmp_path / "cut.pt").write_bytes(data[: len(data) // 2])
    with pytest.raises(ModelError, match="cut.pt"):
        safe_load(tmp_path / "cut.pt")


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
    assert torch.load(target, weights_only=False)["src"] == list(range(1000))
    assert [p.name for p in tmp_path.iterdir()] == ["cache.pt"]
