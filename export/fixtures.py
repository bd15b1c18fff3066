"""Real tiny artifacts for tests across the repo: an Arabic SentencePiece model, a "test"-preset checkpoint
and an exported model directory (`build_tiny_model_dir`), built in seconds on one CPU core.

The model is untrained (seeded random weights): it exercises every file format, graph and code path, not
correction quality. The tokenizer is trained on a few hundred lines generated from the sentences below,
so tests need no data files. This module builds; it asserts nothing.
"""
from __future__ import annotations

import hashlib
import json
import random
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


def train_tiny_tokenizer(directory: Path, vocab_size: int = 300) -> Path:
    import sentencepiece as spm

    directory.mkdir(parents=True, exist_ok=True)
    corpus = directory / "corpus.txt"
    corpus.write_text("\n".join(tiny_corpus()) + "\n", encoding="utf-8")
    prefix = directory / "spm"
    spm.SentencePieceTrainer.train(
        input=str(corpus), model_prefix=str(prefix), vocab_size=vocab_size, model_type="unigram",
        character_coverage=1.0, pad_id=0, unk_id=1, bos_id=2, eos_id=3, minloglevel=2,
        num_threads=1)
    return prefix.with_suffix(".model")


def build_tiny_sources(directory: str | Path, seed: int = 0) -> TinySources:
    """Tokenizer + seeded random "test"-preset model saved as our checkpoint under directory."""
    import torch

    from training.checkpoint import save_checkpoint
    from training.config import PRESETS
    from training.model import Seq2SeqTransformer

    directory = Path(directory)
    tokenizer = train_tiny_tokenizer(directory)
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
