"""A real tiny model that makes real corrections, for the language-server tests.

`export.fixtures.build_tiny_model_dir` exports an untrained model, which never ends a sentence, so the
engine keeps every source and there would be no diagnostic to test. Here the same "test"-preset model
(2 layers, d=32) is first trained for a few seconds to memorise a handful of corrections (hamza, ta
marbuta, alif maqsura, punctuation) and identities, then exported through the same real pipeline
(`build_tiny_model_dir(out, sources=...)`). The tests still take the expected edits from the engine
itself (`Corrector` on the same directory), never from this list.
"""
from __future__ import annotations

from pathlib import Path

from export.fixtures import SENTENCES, TinySources, build_tiny_model_dir, build_tiny_sources

PAIRS = (
    ("ذهب الطالب الى المدرسة في الصباح الباكر", "ذهب الطالب إلى المدرسة في الصباح الباكر"),
    ("هذه المسالة مهمة جدا لجميع الطلاب والمعلمين", "هذه المسألة مهمة جدا لجميع الطلاب والمعلمين"),
    ("اريد ان اتعلم اللغة العربية وقواعدها", "أريد أن أتعلم اللغة العربية وقواعدها"),
    ("كانت السماء صافيه والجو جميلا في الربيع", "كانت السماء صافية والجو جميلا في الربيع"),
    ("رأيت مصطفي يمشي على الشاطئ مع أخيه الصغير", "رأيت مصطفى يمشي على الشاطئ مع أخيه الصغير"),
    ("العلم نور والجهل ظلام كما يقول المثل", "العلم نور والجهل ظلام كما يقول المثل ."),
)
STEPS = 300


def training_pairs() -> list[tuple[str, str]]:
    """The corrections, their targets copied unchanged, and correct sentences copied unchanged."""
    return [*PAIRS, *((target, target) for _, target in PAIRS), *((s, s) for s in SENTENCES[10:20])]


def build_corrective_model_dir(out_dir: Path, work: Path, steps: int = STEPS) -> Path:
    import numpy as np
    import torch

    from nahawi.engine.mapping import SubwordCodec, model_input
    from training.batching import collate
    from training.checkpoint import load_model, save_checkpoint

    sources = build_tiny_sources(work)
    codec = SubwordCodec(sources.tokenizer)
    pairs = training_pairs()
    src_ids = [np.array(codec.encode(model_input(s).line)) for s, _ in pairs]
    tgt_ids = [np.array(codec.encode(model_input(t).line)) for _, t in pairs]
    model, _ = load_model(sources.checkpoint)
    config = model.config
    src, dec_in, labels = collate(np.arange(len(pairs)), src_ids, tgt_ids, config.pad_id, config.bos_id,
                                  config.eos_id)
    torch.manual_seed(0)
    optimizer = torch.optim.Adam(model.parameters(), lr=4e-3)
    model.train()
    for _ in range(steps):
        logits = model(src, dec_in)  # (B, T, V)
        loss = torch.nn.functional.cross_entropy(logits.reshape(-1, logits.size(-1)), labels.reshape(-1),
                                                 ignore_index=config.pad_id)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    model.eval()
    checkpoint = work / "memorised.pt"
    save_checkpoint(checkpoint, model, step=steps, train_config={"tokenizer": str(sources.tokenizer),
                                                                  "data_dir": str(work)})
    return build_tiny_model_dir(out_dir, sources=TinySources(checkpoint, sources.tokenizer, sources.corpus))
