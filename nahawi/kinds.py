"""Stable edit-kind ids with their Arabic and English names and one-line explanations.

The ids are part of the public contract (LSP diagnostic codes, app legend, JSON output): never rename.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Kind:
    id: str
    name_ar: str
    name_en: str
    explain_ar: str
    explain_en: str


KINDS: dict[str, Kind] = {k.id: k for k in (
    Kind("hamza", "همزة", "Hamza", "كتابة الهمزة أو ألف الوصل بصورة خاطئة.",
         "Wrong hamza seat or a missing/extra hamza."),
    Kind("ta_marbuta", "تاء مربوطة", "Ta marbuta", "خلط بين التاء المربوطة (ة) والهاء (ه).",
         "Ta marbuta (ة) confused with ha (ه)."),
    Kind("alif_maqsura", "ألف مقصورة", "Alif maqsura", "خلط بين الألف المقصورة (ى) والياء (ي).",
         "Alif maqsura (ى) confused with ya (ي)."),
    Kind("letter_confusion", "خلط حروف", "Letter confusion", "حرف مكان حرف متقارب معه في النطق أو الشكل.",
         "A letter replaced by a similar-sounding or similar-looking one."),
    Kind("spacing", "مسافات", "Spacing", "كلمتان ملتصقتان أو كلمة مفصولة بمسافة زائدة.",
         "Words wrongly joined or split."),
    Kind("punctuation", "ترقيم", "Punctuation", "علامة ترقيم ناقصة أو زائدة أو خاطئة.",
         "Missing, extra or wrong punctuation."),
    Kind("morphology", "صرف", "Morphology", "صيغة الكلمة غير صحيحة (إعراب، تذكير وتأنيث، عدد).",
         "Wrong word form (case ending, gender, number)."),
    Kind("word_choice", "اختيار الكلمة", "Word choice", "كلمة ناقصة أو زائدة أو غير مناسبة.",
         "A missing, extra or unsuitable word."),
    Kind("other", "أخرى", "Other", "تصحيح إملائي أو نحوي آخر.", "Another spelling or grammar correction."),
)}

KIND_IDS: tuple[str, ...] = tuple(KINDS)

# Groups of word-edit kinds a policy may trust the tagger with separately (`EditPolicy.tagger_kind_thresholds`):
# it reads context for some (hamza: أن/إن), and knows less than the corpus lexicon for others.
KIND_GROUPS: dict[str, tuple[str, ...]] = {
    "hamza": ("hamza",), "spelling": ("ta_marbuta", "alif_maqsura", "letter_confusion"), "spacing": ("spacing",),
    "grammar": ("morphology", "word_choice", "other")}
KIND_GROUP: dict[str, str] = {kind: group for group, kinds in KIND_GROUPS.items() for kind in kinds}
