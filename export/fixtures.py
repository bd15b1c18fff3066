"""Real tiny artifacts for tests across the repo: an Arabic SentencePiece model, a "test"-preset checkpoint
and exported model directories, built in seconds on one CPU core.

`build_tiny_model_dir` exports an untrained model (seeded random weights): it exercises every file format,
graph and code path, not correction quality, and since it never ends a sentence the engine keeps every
source. `build_trained_tiny_model_dir` first trains the same model for a few seconds until it has
memorised `TRAINED_CORRECTIONS` (hamza, ta marbuta, alif maqsura, letter confusion, spacing, punctuation;
emoji, diacritics and tatweel before the errors) and copies `TRAINED_KEPT` unchanged, so the app and the
language server get real corrections from a real model. Tests take expected edits from the engine on the
same directory, never from these lists. The tokenizers are trained on a few hundred lines generated from
the sentences below, so tests need no data files. This module builds; it asserts nothing.
"""
from __future__ import annotations

import hashlib
import json
import random
import shutil
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

SENTENCES = (
    "ذهب الطالب إلى المدرسة في الصباح الباكر",
    "قال المدير إن الاجتماع سيعقد يوم الأحد القادم",
    "هذه المسألة مهمة جدا لجميع الطلاب والمعلمين",
    "لم يستطع الطالب أن يجيب على السؤال الصعب",
    "أريد أن أتعلم اللغة العربية وقواعدها",
    "كانت السماء صافية والجو جميلا في الربيع",
    "اشترى أبي سيارة جديدة في الأسبوع الماضي",
    "يجب علينا أن نحافظ على البيئة من التلوث",
    "يعمل المعلمون بجد في المدارس الحكومية",
    "العلم نور والجهل ظلام كما يقول المثل",
    "سافرت إلى القاهرة لزيارة أصدقائي القدامى",
    "هل قرأت الكتاب الذي أعطيتك إياه أمس ؟",
    "تعد القراءة من أهم وسائل اكتساب المعرفة",
    "أعلنت الوزارة عن خطة جديدة لتطوير التعليم",
    "شارك اللاعبون في المباراة النهائية بحماس كبير",
    "ارتفعت أسعار المواد الغذائية في الأسواق المحلية",
    "استقبل الرئيس الوفد الرسمي في القصر الجمهوري",
    "تساقطت الأمطار بغزارة على المدينة طوال الليل",
    "يحتفل المسلمون بعيد الفطر بعد شهر رمضان المبارك",
    "أكدت الدراسة أن الرياضة مفيدة لصحة الإنسان",
    "مستشفى المدينة يستقبل المرضى على مدار الساعة",
    "فازت الفتاة بالجائزة الأولى في مسابقة الشعر",
    "إن الصدق منجاة والكذب مهلكة لصاحبه",
    "رأيت مصطفى يمشي على الشاطئ مع أخيه الصغير",
    "تقع الجامعة في وسط العاصمة قرب المكتبة الوطنية",
    "لا شك أن التكنولوجيا غيرت حياتنا اليومية",
    "حضر المؤتمر عدد كبير من العلماء والباحثين",
    "ينبغي للحكومة أن تهتم بالشباب وتوفر لهم فرص العمل",
    "كتب الشاعر قصيدة رائعة عن الوطن والحنين",
    "تناولنا الغداء في مطعم صغير على ضفة النهر",
    "سأل المعلم التلاميذ عن واجباتهم المدرسية",
    "أصبحت الهواتف الذكية جزءا من حياة الناس",
    "ما زال الطريق طويلا أمام تحقيق السلام",
    "جاء الضيوف مساء الخميس وقدمنا لهم القهوة",
    "انتهت الامتحانات وبدأت العطلة الصيفية",
    "عاد المسافرون إلى بلادهم بعد رحلة طويلة",
    "قرأت مقالة مفيدة عن تاريخ الأندلس وحضارتها",
    "يساعد الأطباء المرضى ويخففون آلامهم",
    "لماذا تأخرت عن موعد الطائرة ؟ سأل الموظف",
    "الحمد لله على نعمة الصحة والعافية",
)


@dataclass(frozen=True)
class TinySources:
    checkpoint: Path  # our checkpoint format, recording the tokenizer in its train_config
    tokenizer: Path  # SentencePiece model with pad 0, unk 1, bos 2, eos 3
    corpus: Path  # the lines the tokenizer was trained on (listed in manifest.json beside it)


def tiny_corpus(lines: int = 400, seed: int = 0) -> list[str]:
    """Deterministic Arabic lines: single sentences, pairs joined with punctuation, shuffled word orders."""
    rng = random.Random(seed)
    out = list(SENTENCES)
    while len(out) < lines:
        first, second = rng.sample(SENTENCES, 2)
        words = first.split()
        rng.shuffle(words)
        out.append(rng.choice([f"{first} ، {second} .", " ".join(words), f"{second} و{first}"]))
    return out


def train_tiny_tokenizer(directory: Path, vocab_size: int = 300, lines: Sequence[str] | None = None) -> Path:
    """A SentencePiece model trained on lines (default `tiny_corpus()`), written beside them in directory."""
    import sentencepiece as spm

    directory.mkdir(parents=True, exist_ok=True)
    corpus = directory / "corpus.txt"
    corpus.write_text("\n".join(tiny_corpus() if lines is None else lines) + "\n", encoding="utf-8")
    prefix = directory / "spm"
    spm.SentencePieceTrainer.train(
        input=str(corpus), model_prefix=str(prefix), vocab_size=vocab_size, model_type="unigram",
        character_coverage=1.0, pad_id=0, unk_id=1, bos_id=2, eos_id=3, minloglevel=2,
        num_threads=1)
    return prefix.with_suffix(".model")


def build_tiny_sources(directory: str | Path, seed: int = 0,
                       lines: Sequence[str] | None = None) -> TinySources:
    """Tokenizer (trained on lines, default `tiny_corpus()`) + seeded random "test"-preset model saved as our
    checkpoint under directory."""
    import torch

    from training.checkpoint import save_checkpoint
    from training.config import PRESETS
    from training.model import Seq2SeqTransformer

    directory = Path(directory)
    tokenizer = train_tiny_tokenizer(directory, lines=lines)
    torch.manual_seed(seed)
    model = Seq2SeqTransformer(PRESETS["test"])
    corpus = directory / "corpus.txt"
    manifest = {"files": {corpus.name: {"sha256": hashlib.sha256(corpus.read_bytes()).hexdigest()}}}
    (directory / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    checkpoint = directory / "tiny.pt"
    save_checkpoint(checkpoint, model, step=0, train_config={"tokenizer": str(tokenizer),
                                                              "data_dir": str(directory)})
    return TinySources(checkpoint, tokenizer, corpus)


def build_tiny_model_dir(out_dir: str | Path, precision: str = "fp32", seed: int = 0,
                         sources: TinySources | None = None) -> Path:
    """Export a tiny model into out_dir (which must not exist) through the real pipeline; returns out_dir.

    Sources are built in a temporary folder unless given (tests that also need the checkpoint pass theirs).
    """
    import tempfile

    from export.exporter import ExportRequest, export_model

    out_dir = Path(out_dir)
    with tempfile.TemporaryDirectory(prefix="nahawi-tiny-") as work:
        sources = sources or build_tiny_sources(work, seed)
        export_model(ExportRequest(sources.checkpoint, out_dir, precision=precision))
    return out_dir


# What `build_trained_tiny_model_dir` memorises: (sentence with errors, its correction), each one whole
# sentence (one engine segment). Emoji, diacritics and tatweel sit before errors so that tests see code-point,
# UTF-16 and UTF-8 offsets part ways; one full stop is inserted right after a corrected word.
TRAINED_CORRECTIONS = (
    ("ذهب الطالب الى المدرسة في الصباح الباكر", "ذهب الطالب إلى المدرسة في الصباح الباكر"),
    ("هذه المسالة مهمة جدا لجميع الطلاب والمعلمين", "هذه المسألة مهمة جدا لجميع الطلاب والمعلمين"),
    ("اريد ان اتعلم اللغة العربية وقواعدها", "أريد أن أتعلم اللغة العربية وقواعدها"),
    ("كانت السماء صافيه والجو جميلا في الربيع", "كانت السماء صافية والجو جميلا في الربيع"),
    ("رأيت مصطفي يمشي على الشاطئ مع أخيه الصغير", "رأيت مصطفى يمشي على الشاطئ مع أخيه الصغير"),
    ("العلم نور والجهل ظلام كما يقول المثل", "العلم نور والجهل ظلام كما يقول المثل ."),
    ("😀 ذَهَبَ الطالبُ الى المدرسه في الصباح.", "😀 ذَهَبَ الطالبُ إلى المدرسة في الصباح."),
    ("رايت مصطفي يمشي علي الشاطئ 😀 مع أخيه.", "رأيت مصطفى يمشي على الشاطئ 😀 مع أخيه."),
    ("قال المديـــر ان الاجتماع سيعقد يوم الاحد القادم", "قال المديـــر إن الاجتماع سيعقد يوم الأحد القادم."),
    ("يساعد الأطباء المرضى ويخففون الامهم", "يساعد الأطباء المرضى ويخففون آلامهم."),
    ("ذهب الطالبالى المدرسة", "ذهب الطالب إلى المدرسة"),
    ("رأيت الضبي في الحديقة", "رأيت الظبي في الحديقة"),
)
# Sentences it learns to copy unchanged (besides every correction's target).
TRAINED_KEPT = (*SENTENCES[10:20], "سطر بلا أخطاء.", "مَرْحَبًا بكم.")
TRAINED_STEPS = 300  # full-batch Adam steps: enough to reproduce every pair above exactly


def trained_pairs() -> list[tuple[str, str]]:
    """The training set: the corrections, their targets copied unchanged, and the kept sentences."""
    return [*TRAINED_CORRECTIONS, *((t, t) for _, t in TRAINED_CORRECTIONS), *((s, s) for s in TRAINED_KEPT)]


@contextmanager
def _one_thread() -> Iterator[None]:
    """Torch on one intra-op thread: the same floating-point sums on every machine (and the machine's
    other cores stay free)."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)


def train_tiny_checkpoint(sources: TinySources, out: Path, steps: int = TRAINED_STEPS) -> Path:
    """sources' model trained full-batch on `trained_pairs()` for steps, saved as our checkpoint at out."""
    import numpy as np
    import torch

    from nahawi.engine.mapping import SubwordCodec, model_input
    from training.batching import collate
    from training.checkpoint import load_model, save_checkpoint

    codec = SubwordCodec(sources.tokenizer)
    pairs = trained_pairs()
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
    save_checkpoint(out, model, step=steps, train_config={"tokenizer": str(sources.tokenizer),
                                                          "data_dir": str(sources.corpus.parent)})
    return out


def build_trained_tiny_model_dir(out_dir: str | Path, steps: int = TRAINED_STEPS, seed: int = 0) -> Path:
    """Export a tiny model that makes real corrections into out_dir (which must not exist); returns out_dir.

    Its tokenizer also learns from the training sentences, so it spells their emoji, diacritics and tatweel
    (the untrained model's tokenizer does not). Deterministic: the same seed and steps give the same weights.
    """
    import tempfile

    lines = [*tiny_corpus(), *(text for pair in trained_pairs() for text in pair)]
    with tempfile.TemporaryDirectory(prefix="nahawi-trained-") as work, _one_thread():
        sources = build_tiny_sources(work, seed, lines=lines)
        checkpoint = train_tiny_checkpoint(sources, Path(work) / "trained.pt", steps)
        trained = TinySources(checkpoint, sources.tokenizer, sources.corpus)
        return build_tiny_model_dir(out_dir, sources=trained)


TAGGER_PAIRS = [
    ("قال ان الولد ذهب الى المدرسه", "قال إن الولد ذهب إلى المدرسة"),
    ("يجب ان نذهب الى البيت", "يجب أن نذهب إلى البيت"),
    ("ذهبت الى المدرسه و كتبت الدرس", "ذهبت إلى المدرسة ، وكتبت الدرس"),
    ("أكد الوزير ان الاقتصاد ينمو", "أكد الوزير أن الاقتصاد ينمو"),
]


def train_tiny_tagger(directory: Path, steps: int = 150) -> Path:
    """A tiny tagger ("test" preset, 2 layers, d 32) trained on `TAGGER_PAIRS` for `steps` steps (seconds);
    returns its checkpoint (directory/run/last.pt)."""
    import json

    from training.tagger import TaggerConfig, TaggerTrainer

    directory.mkdir(parents=True, exist_ok=True)
    records = [{"source": s, "target": t, "origin": "real"} for _ in range(30) for s, t in TAGGER_PAIRS]
    train = directory / "train.jsonl"
    train.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    lines = [text for pair in TAGGER_PAIRS for text in pair]
    tokenizer = train_tiny_tokenizer(directory / "spm", vocab_size=300, lines=tiny_corpus() + lines * 5)
    config = TaggerConfig(out_dir=str(directory / "run"), train=str(train), tokenizer=str(tokenizer), encoder="",
                          model="test", min_rewrite_count=1, batch_pieces=200, lr=3e-3, warmup_steps=5,
                          log_every=1000, save_every=1000, eval_every=10_000, dropout=0.0)
    TaggerTrainer(config, lambda *_: None).train(stop_at=steps)
    return directory / "run" / "last.pt"


def build_tagger_model_dir(directory: Path, model_dir: Path, precision: str = "int8") -> Path:
    """A copy of model_dir with a tiny trained tagger exported into it (`nahawi export tagger`)."""
    from export.tagger_export import TaggerExportRequest, export_tagger

    checkpoint = train_tiny_tagger(directory / "tagger-run")
    target = directory / "model"
    shutil.copytree(model_dir, target)
    export_tagger(TaggerExportRequest(checkpoint, target, precision=precision))
    return target
