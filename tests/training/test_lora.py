"""LoRA: no-op at init, merged equals unmerged, original-format adapter files load."""
import pytest

torch = pytest.importorskip("torch", reason="needs the 'train' extra (torch)")


from nahawi.errors import ModelError
from training.lora import LoraConfig, add_lora, load_adapter, lora_state_dict, merge_lora, save_adapter
from training.model import Seq2SeqTransformer


def _model(config):
    torch.manual_seed(0)
    return Seq2SeqTransformer(config).eval()


def test_fresh_adapter_is_a_no_op(test_config, batch):
    model = _model(test_config)
    src, tgt = batch
    before = model(src, tgt)
    wrapped = add_lora(model, LoraConfig(rank=4, alpha=8))
    assert len(wrapped) == 2 * 3 + 2 * 4  # enc: out_proj, linear1, linear2; dec: + cross out_proj
    assert torch.equal(model(src, tgt), before)
    trainable = [n for n, p in model.named_parameters() if p.requires_grad]
    assert trainable and all("lora_" in n for n in trainable)


def test_merged_equals_unmerged(test_config, batch):
    model = _model(test_config)
    add_lora(model, LoraConfig(rank=4, alpha=8, dropout=0.0))
    for name, parameter in model.named_parameters():
        if name.endswith("lora_B"):
            parameter.data.normal_(std=0.05)
    src, tgt = batch
    unmerged = model(src, tgt)
    assert merge_lora(model) == 14
    assert not any("lora_" in k for k in model.state_dict())
    assert torch.allclose(model(src, tgt), unmerged, atol=1e-5)


def test_merge_refuses_non_finite_weights(test_config):
    model = _model(test_config)
    add_lora(model, LoraConfig(rank=2, alpha=4))
    next(p for n, p in model.named_parameters() if n.endswith("lora_B")).data.fill_(float("inf"))
    with pytest.raises(ModelError, match="non-finite"):
        merge_lora(model)


def test_original_format_adapter_loads_with_alpha_twice_rank(tmp_path, test_config, batch):
    trained = _model(test_config)
    add_lora(trained, LoraConfig(rank=4, alpha=8, dropout=0.0))
    for name, parameter in trained.named_parameters():
        if name.endswith("lora_B"):
            parameter.data.normal_(std=0.05)
    torch.save({"lora_state_dict": lora_state_dict(trained)}, tmp_path / "orig_lora.pt")  # no alpha recorded
    fresh = _model(test_config)
    config = load_adapter(fresh, tmp_path / "orig_lora.pt")
    assert (config.rank, config.alpha) == (4, 8.0)
    src, tgt = batch
    assert torch.allclose(fresh.eval()(src, tgt), trained(src, tgt), atol=1e-5)


def test_our_adapter_file_holds_only_adapter_keys(tmp_path, test_config):
    model = _model(test_config)
    config = LoraConfig(rank=2, alpha=4)
    add_lora(model, config)
    save_adapter(model, tmp_path / "a.pt", config)
    payload = torch.load(tmp_path / "a.pt", weights_only=True)
    assert all(k.endswith((".lora_A", ".lora_B")) for k in payload["lora_state_dict"])
    assert payload["lora_config"]["alpha"] == 4


def test_adapter_for_another_architecture_is_rejected(tmp_path, test_config):
    torch.save({"lora_state_dict": {"encoder.layers.9.linear1.lora_A": torch.zeros(2, 32),
                                    "encoder.layers.9.linear1.lora_B": torch.zeros(64, 2)}}, tmp_path / "x.pt")
    with pytest.raises(ModelError, match="do not match"):
        load_adapter(_model(test_config), tmp_path / "x.pt")
