"""Every user-visible string of the editor, in Arabic and English.

Owns wording only: a key maps to an (Arabic, English) pair; kind names and explanations come from
`nahawi.kinds` so the legend, the card and the language server say the same thing. Knows nothing of widgets.
"""
from __future__ import annotations

from nahawi.kinds import KINDS

LANGUAGES = ("ar", "en")
# Unicode bidi isolates: what is between them is laid out on its own (its order is not mixed with the sentence's)
LEFT_TO_RIGHT_ISOLATE, FIRST_STRONG_ISOLATE, POP_ISOLATE = "\u2066", "\u2068", "\u2069"
# Values put into a sentence isolated, so a path or an English error inside an Arabic sentence (or an Arabic file
# name inside an English one) keeps its own order: a path reads left to right, the others by their first letter.
_ISOLATED = {"path": LEFT_TO_RIGHT_ISOLATE, "name": FIRST_STRONG_ISOLATE, "model": FIRST_STRONG_ISOLATE,
             "error": FIRST_STRONG_ISOLATE}

_TABLE: dict[str, tuple[str, str]] = {
    "app_title": ("نحوي", "Nahawi"),
    "untitled": ("بلا عنوان", "Untitled"),
    # menus
    "menu_file": ("&ملف", "&File"),
    "menu_edit": ("&تحرير", "&Edit"),
    "menu_check": ("&تدقيق", "&Check"),
    "menu_view": ("&عرض", "&View"),
    "menu_recent": ("الملفات الأخيرة", "Recent files"),
    "recent_empty": ("(لا شيء)", "(none)"),
    # actions
    "act_new": ("جديد", "New"),
    "act_open": ("فتح…", "Open…"),
    "act_save": ("حفظ", "Save"),
    "act_save_as": ("حفظ باسم…", "Save as…"),
    "act_quit": ("خروج", "Quit"),
    "act_undo": ("تراجع", "Undo"),
    "act_redo": ("إعادة", "Redo"),
    "act_find": ("بحث واستبدال…", "Find and replace…"),
    "act_settings": ("الإعدادات…", "Settings…"),
    "act_check_now": ("دقّق الآن", "Check now"),
    "act_next_issue": ("الملاحظة التالية", "Next issue"),
    "act_prev_issue": ("الملاحظة السابقة", "Previous issue"),
    "act_accept_current": ("اقبل الملاحظة الحالية", "Accept current issue"),
    "act_accept_all": ("اقبل كل التصحيحات", "Accept all corrections"),
    "act_zoom_in": ("تكبير", "Zoom in"),
    "act_zoom_out": ("تصغير", "Zoom out"),
    "act_zoom_reset": ("الحجم الأصلي", "Reset zoom"),
    "act_panel": ("لوحة الملاحظات", "Issues panel"),
    "menu_help": ("&مساعدة", "&Help"),
    "act_shortcuts": ("اختصارات لوحة المفاتيح", "Keyboard shortcuts"),
    "act_about": ("عن نحوي", "About Nahawi"),
    "shortcuts_title": ("اختصارات لوحة المفاتيح", "Keyboard shortcuts"),
    "shortcut_action": ("الأمر", "Command"),
    "shortcut_keys": ("المفاتيح", "Keys"),
    "shortcuts_close": ("إغلاق", "Close"),
    "about_text": (("نحوي {version}: مدقق إملائي ونحوي للعربية يعمل على جهازك، لا يرسل نصك إلى أي مكان.\n"
                   "النموذج: {model}"),
                   ("Nahawi {version}: an Arabic spelling and grammar checker that runs on your computer and "
                   "sends your text nowhere.\nModel: {model}")),
    # card
    "card_accept": ("اقبل", "Accept"),
    "card_ignore": ("تجاهل", "Ignore"),
    "card_dictionary": ("أضف إلى القاموس", "Add to dictionary"),
    "card_ignore_all": ("تجاهل الكلمة في هذا المستند", "Ignore this word in this document"),
    "card_disable_kind": ("أوقف هذا النوع", "Disable this kind"),
    "card_delete": ("احذف «{original}»", "Delete “{original}”"),
    "card_insert": ("أضف «{replacement}»", "Insert “{replacement}”"),
    "card_use": ("ضع «{spelling}» مكانها", "Put “{spelling}” in its place"),
    "card_confidence": ("الثقة: {percent}٪", "Confidence: {percent}%"),
    "reason_replace": ("{new} بدل {old}", "{old} becomes {new}"),
    "reason_insert": ("إضافة {new}", "{new} is added"),
    "reason_delete": ("حذف {old}", "{old} is removed"),
    "reason_in": ("في «{word}»: {change}", "In “{word}”: {change}"),
    # panel
    "panel_title": ("الملاحظات", "Issues"),
    "panel_accept_kind": ("اقبل كل: {kind}", "Accept all: {kind}"),
    "panel_empty": ("لا ملاحظات", "No issues"),
    "panel_more": ("… و{count} ملاحظة أخرى (F8 للتنقل بينها)", "… and {count} more (F8 goes through them)"),
    "legend": ("دليل الألوان", "Legend"),
    "kind_grammar": ("نحو وأخرى", "Grammar and other"),
    # find bar
    "find": ("ابحث:", "Find:"),
    "replace": ("استبدل بـ:", "Replace with:"),
    "find_next": ("التالي", "Next"),
    "find_prev": ("السابق", "Previous"),
    "replace_one": ("استبدل", "Replace"),
    "replace_all": ("استبدل الكل", "Replace all"),
    "find_case": ("مطابقة حالة الأحرف", "Match case"),
    "find_fold": ("تجاهل الهمزات والتشكيل", "Ignore hamza forms and diacritics"),
    "find_none": ("لا نتائج", "No match"),
    "replaced_n": ("استُبدل {count}", "Replaced {count}"),
    # status
    "status_model": ("النموذج: {name}", "Model: {name}"),
    "status_no_model": ("بلا نموذج", "No model"),
    "status_loading": ("جارٍ تحميل النموذج…", "Loading the model…"),
    "status_issues": ("الملاحظات: {count}", "Issues: {count}"),
    "status_large_document": ("مستند كبير: كل الفقرات بمحاذاة واحدة",
                              "Large document: all paragraphs share one alignment"),
    "large_document_note": (("يُفتح المستند الكبير في محرر أخف: كل فقرة تُقرأ باتجاهها، لكن الفقرات كلها "
                             "تُحاذى على جهة أغلبها."),
                            ("A large document opens in a lighter editor: each paragraph reads in its own "
                             "direction, but all are aligned on the side most of them read from.")),
    "status_words": ("الكلمات: {count}", "Words: {count}"),
    "status_checking": ("جارٍ التدقيق…", "Checking…"),
    "status_checking_share": ("جارٍ التدقيق… {percent}٪", "Checking… {percent}%"),
    "status_checked": ("تم التدقيق", "Checked"),
    "status_waiting": ("بانتظار التدقيق", "Not checked yet"),
    "status_off": ("التدقيق عند الطلب", "Checking on demand"),
    "status_check_failed": ("فشل التدقيق", "Check failed"),
    "device_cpu": ("المعالج (CPU)", "CPU"),
    "device_gpu": ("بطاقة الرسوميات (GPU)", "GPU"),
    # notices
    "model_failed": (("تعذّر تحميل نموذج التدقيق: {error}\nيمكنك متابعة الكتابة والحفظ، لكن التدقيق متوقف. "
                      "اختر مجلد نموذج صالحًا من الإعدادات."),
                     ("The checking model could not be loaded: {error}\nYou can keep writing and saving, but "
                      "checking is off. Choose a valid model folder in Settings.")),
    "check_failed": ("تعذّر تدقيق النص: {error}", "The text could not be checked: {error}"),
    "open_settings": ("الإعدادات", "Settings"),
    "dismiss": ("إغلاق", "Dismiss"),
    "not_utf8": (("الملف «{name}» ليس بترميز UTF-8 (أول بايت غير صالح عند الموضع {offset}). "
                  "يبدو أنه بترميز {guess}. لم يُفتح الملف ولم يُعدَّل."),
                 ("“{name}” is not UTF-8 (first invalid byte at offset {offset}). It looks like {guess}. "
                  "The file was not opened and has not been changed.")),
    "open_as": ("افتحه محوَّلًا من {guess}", "Open it converted from {guess}"),
    "converted": ("حُوِّل من {encoding}؛ سيُحفظ بترميز UTF-8.",
                  "Converted from {encoding}; it will be saved as UTF-8."),
    "open_failed": ("تعذّر فتح الملف: {error}", "The file could not be opened: {error}"),
    "save_failed": ("تعذّر حفظ الملف: {error}", "The file could not be saved: {error}"),
    "saved": ("حُفظ في {path}", "Saved to {path}"),
    "dialog_look_in": ("البحث في:", "Look in:"),
    "dialog_file_type": ("نوع الملفات:", "Files of type:"),
    "recover": ("وُجد عمل غير محفوظ من جلسة سابقة ({name}، {when}). هل تريد استعادته؟",
                "Unsaved work from an earlier session was found ({name}, {when}). Restore it?"),
    "recover_yes": ("استعد", "Restore"),
    "recover_delete": ("احذف المسودة", "Delete the draft"),
    "recover_later": ("لاحقًا", "Later"),
    "no_arabic_font": (("لم يُعثر على خط عربي: قد تظهر الحروف مربعات. ثبّت خطًا عربيًا (مثل Noto Naskh Arabic "
                        "أو Amiri) أو أعد تثبيت نحوي."),
                       ("No Arabic font was found: letters may show as boxes. Install an Arabic font (such as "
                        "Noto Naskh Arabic or Amiri) or reinstall Nahawi.")),
    "file_notes": ("ملاحظات الملف: {notes}", "File notes: {notes}"),
    "note_bom": ("يبدأ بعلامة ترتيب البايتات (BOM) وستُحفظ كما هي", "starts with a byte-order mark, kept"),
    "note_mixed_newlines": ("نهايات أسطر مختلطة؛ ستُحفظ كلها بصيغة {newline}",
                            "mixed line endings; all will be saved as {newline}"),
    "note_separators": ("يحوي فواصل فقرات يونيكود (U+2029) ستُحفظ نهايات أسطر",
                        "contains Unicode paragraph separators (U+2029), saved as line breaks"),
    # prompts
    "unsaved_title": ("تغييرات غير محفوظة", "Unsaved changes"),
    "unsaved_text": ("في «{name}» تغييرات غير محفوظة. هل تريد حفظها؟",
                     "“{name}” has unsaved changes. Save them?"),
    "prompt_save": ("احفظ", "Save"),
    "prompt_discard": ("لا تحفظ", "Don't save"),
    "prompt_cancel": ("إلغاء", "Cancel"),
    "file_filter": (("نصوص ومستندات (*.txt *.md *.docx *.odt);;نصوص (*.txt *.md);;مستندات وورد وأوبن أوفيس "
                    "(*.docx *.odt);;كل الملفات (*)"),
                    ("Text and documents (*.txt *.md *.docx *.odt);;Text (*.txt *.md);;Word and OpenDocument "
                    "(*.docx *.odt);;All files (*)")),
    "save_filter": ("نصوص (*.txt *.md);;مستند وورد (*.docx);;كل الملفات (*)",
                    "Text (*.txt *.md);;Word document (*.docx);;All files (*)"),
    "imported": (("فُتح نص «{name}» مستندًا جديدًا بلا تنسيق: يُحفظ بفقراته (‎.docx) أو نصًّا (‎.txt أو ‎.md)، ولا يُمسّ "
                 "الملف الأصلي إلا إن حفظت فوقه."),
                 ("The text of “{name}” is open as a new document without its formatting: it saves with its "
                 "paragraphs (.docx) or as text (.txt or .md), and the original file is left as it is unless you "
                 "save over it.")),
    "formatting_title": ("التنسيق لا يُحفظ", "Formatting is not kept"),
    "formatting_text": (("سيُحفظ «{name}» بنصّه وفقراته فقط: تنسيق المستند الأصلي (الخطوط والعناوين والجداول والصور "
                        "والتعليقات) لا يُحفظ."),
                        ("“{name}” will be saved with its text and paragraphs only: the original document's "
                        "formatting (fonts, headings, tables, images, comments) is not kept.")),
    "formatting_save": ("احفظ بلا تنسيق", "Save without formatting"),
    "odt_not_written": ("لا يكتب نحوي ملفات ‎.odt: احفظ المستند ‎.docx أو نصًّا (‎.txt أو ‎.md)",
                        "Nahawi does not write .odt files: save the document as .docx or as text (.txt or .md)"),
    # settings dialog
    "settings_title": ("الإعدادات", "Settings"),
    "set_kinds": ("أنواع الأخطاء المفعّلة", "Enabled kinds"),
    "set_while_typing": ("دقّق أثناء الكتابة", "Check while typing"),
    "set_delay": ("مهلة التدقيق بعد التوقف عن الكتابة (مللي ثانية)", "Delay after typing stops (ms)"),
    "set_confidence": ("أدنى ثقة", "Minimum confidence"),
    "set_strict": ("وضع صارم: تنبيهات خاطئة أقل وتصحيحات أقل", "Strict mode: fewer false alarms, fewer corrections"),
    "set_learner": ("أتعلّم العربية: تصحيحات نحوية وصرفية أيضًا، مع تنبيهات خاطئة أكثر",
                    "I am learning Arabic: grammar and word-form corrections too, with more false alarms"),
    "set_latin_marks": ("علامات ترقيم لاتينية (, ? ;): تبقى كما كتبتها، وتُكتب المضافة بالشكل نفسه",
                        "Latin punctuation (, ? ;): yours stay as written, added marks are written the same way"),
    "set_model": ("مجلد النموذج (فارغ: النموذج المرفق)", "Model folder (empty: the bundled model)"),
    "set_browse": ("تصفّح…", "Browse…"),
    "set_language": ("لغة الواجهة", "Interface language"),
    "set_dictionary": ("كلمات القاموس (كلمة في كل سطر)", "Dictionary words (one per line)"),
    # learning from the writer (issue 17)
    "act_learn": ("تعلّم من كتاباتي…", "Learn from my writing…"),
    "act_learned": ("ما تعلّمه نحوي…", "What Nahawi has learned…"),
    "learn_choose": ("اختر مستندات من كتابتك", "Choose documents you wrote"),
    "learn_filter": ("مستندات (*.txt *.md *.docx *.odt)", "Documents (*.txt *.md *.docx *.odt)"),
    "learn_title": ("التعلّم من كتاباتك", "Learning from your writing"),
    "learn_running": ("يقرأ نحوي مستنداتك وقراراتك… يمكنك مواصلة الكتابة.",
                      "Nahawi is reading your documents and decisions… you can keep writing."),
    "learn_cancelling": ("يتوقف…", "Stopping…"),
    "learn_busy": ("نحوي يتعلّم من كتاباتك الآن؛ انتظر حتى ينتهي أو ألغِه قبل أن تبدأ تعلّمًا آخر.",
                   "Nahawi is already learning from your writing; wait for it to finish or cancel it first."),
    "learn_status": ("يتعلّم نحوي… {percent}٪", "Learning… {percent}%"),
    "learn_cancelled": ("أُلغي التعلّم، ولم يتغيّر شيء في ملفك الشخصي.",
                        "Learning cancelled; nothing in your profile changed."),
    "learn_failed": ("تعذّر التعلّم، ولم يتغيّر شيء: {error}", "Learning failed, nothing changed: {error}"),
    "learn_no_model": ("لم يُحمَّل النموذج بعد؛ لا يمكن التعلّم الآن.", "The model is not loaded yet; cannot learn now."),
    "learn_done": (("تعلّم نحوي من {decisions} قرارًا ({accepted} مقبولًا و{ignored} متجاهَلًا) ومن {documents} "
                    "مستندًا: {words} كلمة جديدة، و{kinds} نوعًا بعتبة خاصة بك، و{contexts} اقتراحًا لن يتكرر في "
                    "سياقه، و{pairs} لن يتكرر في أي مكان."),
                   ("Nahawi learned from {decisions} decisions ({accepted} accepted, {ignored} ignored) and "
                    "{documents} documents: {words} new words, {kinds} kinds with their own threshold, {contexts} "
                    "suggestions no longer made in their context, {pairs} no longer made anywhere.")),
    "learned_title": ("ما تعلّمه نحوي منك", "What Nahawi has learned from you"),
    "learned_words": ("الكلمات", "Words"),
    "learned_pairs": ("أزواج الكلمات", "Word pairs"),
    "learned_thresholds": ("عتبات الأنواع", "Thresholds per kind"),
    "learned_suppressed": ("اقتراحات موقوفة", "Suppressed suggestions"),
    "learned_adapter": ("النموذج العصبي", "Neural model"),
    "learned_adapter_line": ("تكييف النموذج العصبي على كتابتك: تعلّم من قراراتك في {words} كلمة و{marks} علامة ترقيم",
                             "Tagger adapter: learned from your decisions on {words} words and {marks} marks"),
    "learned_weights": ("أوزان الفحص", "Learned weights"),
    "learned_gate_line": ("فحص الاقتراحات: {count} وزنًا تعلّمها من قراراتك",
                          "Suggestion check: {count} weights learned from your decisions"),
    "learned_punctuation_line": ("نموذج الترقيم: {count} وزنًا تعلّمها من قراراتك",
                                 "Punctuation model: {count} weights learned from your decisions"),
    "learned_decisions": ("قراراتك", "Your decisions"),
    "learned_decision_accepted": ("قبلتَ: {change}", "Accepted: {change}"),
    "learned_decision_ignored": ("تجاهلتَ: {change}", "Ignored: {change}"),
    "learned_forget_all": ("انسَ كل ما تعلّمه", "Forget everything"),
    "learned_forget_all_title": ("نسيان كل ما تعلّمه نحوي", "Forget everything Nahawi learned"),
    "learned_forget_all_text": (("سينسى نحوي الكلمات والأزواج والعتبات والأوزان وتكييف النموذج وسجل قراراتك، ويبقى "
                                 "قاموسك كما هو. لا يمكن التراجع عن ذلك."),
                                ("Nahawi will forget the words, pairs, thresholds, weights, the model's adapter and "
                                 "your decisions log; your dictionary stays. This cannot be undone.")),
    "learned_forget_all_confirm": ("انسَ كل شيء", "Forget everything"),
    "learned_remove": ("انسَ هذا العنصر", "Forget this item"),
    "learned_empty": ("(لا شيء بعد)", "(nothing yet)"),
    "learned_wait": ("يتعلّم نحوي الآن؛ يمكنك أن تنسى عنصرًا حين ينتهي.",
                     "Nahawi is learning now; you can forget items once it ends."),
    "profile_failed": ("تعذّرت قراءة ما تعلّمه نحوي من ملفك الشخصي: {error}",
                       "Cannot read what Nahawi learned in your profile: {error}"),
    "act_record_decisions": ("سجّل ما أقبله وما أتجاهله من اقتراحات", "Record the suggestions I accept and ignore"),
    "record_setting_failed": ("تعذّر حفظ هذا الإعداد في ملفك الشخصي: {error}",
                              "This setting could not be saved in your profile: {error}"),
    "decision_failed": ("لم يُسجَّل قرارك في ملفك الشخصي: {error}", "Your decision was not recorded in your profile: {error}"),
    "lang_ar": ("العربية", "Arabic"),
    "lang_en": ("الإنجليزية", "English"),
}


class Strings:
    """Looks up UI strings in one language: `strings("status_issues", count=3)`."""

    def __init__(self, language: str = "ar"):
        self.language = language if language in LANGUAGES else "ar"

    @property
    def arabic(self) -> bool:
        return self.language == "ar"

    def __call__(self, key: str, **values) -> str:
        arabic, english = _TABLE[key]
        text = arabic if self.arabic else english
        if not values:
            return text
        return text.format(**{name: f"{_ISOLATED[name]}{value}{POP_ISOLATE}" if name in _ISOLATED else value
                              for name, value in values.items()})

    @property
    def arrow(self) -> str:
        """The arrow between a mistake and its fix, pointing the way the interface reads, wrapped in marks of
        that direction: without them two Arabic words and the arrow between them form one right-to-left run,
        which an English line draws reversed (the arrow from the fix to the mistake)."""
        return "\u200f ← \u200f" if self.arabic else "\u200e → \u200e"

    def kind_name(self, kind_id: str) -> str:
        kind = KINDS.get(kind_id, KINDS["other"])
        return kind.name_ar if self.arabic else kind.name_en

    def kind_explanation(self, kind_id: str) -> str:
        kind = KINDS.get(kind_id, KINDS["other"])
        return kind.explain_ar if self.arabic else kind.explain_en


def has_key(key: str) -> bool:
    return key in _TABLE
