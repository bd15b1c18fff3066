"""Arabic for the messages the commands show (`--lang ar` or NAHAWI_LANG=ar; `nahawi correct` above all).

The core raises its errors in English (they name files, values and options, and go to logs); this module
turns each message a user of the command can meet into Arabic, keeping the names and values it quotes as
they are. A message it does not know stays English after its Arabic kind label (`ARABIC_KINDS` in
nahawi.cli) rather than being guessed at. Knows nothing of how errors arise.
"""
from __future__ import annotations

import re

# (English pattern, Arabic template); {0}, {1}, … are the pattern's groups, kept as written.
_MESSAGES: tuple[tuple[str, str], ...] = (
    (r"--lang must be en or ar, got (.+)", "يجب أن تكون قيمة --lang إما en أو ar، لا {0}"),
    (r"--diff shows a text diff and cannot be used with --format (\S+)",
     "الخيار --diff يعرض الفروق نصًّا، فلا يجتمع مع --format {0}"),
    (r"(--\S+) must be one of (.+), got (.+)", "يجب أن تكون قيمة {0} إحدى القيم: {1}، لا {2}"),
    (r"interrupted", "أُوقف التشغيل بطلب المستخدم"),
    (r"checkpoint not found: (.+)", "ملف نقطة الحفظ غير موجود: {0}"),
    (r"unknown dataset (.+); choose one of (.+)", "مجموعة بيانات غير معروفة {0}؛ اختر إحداها: {1}"),
    (r"internal error: (.+) \(set NAHAWI_DEBUG=1 for a traceback\)",
     "خلل داخلي: {0} (اضبط NAHAWI_DEBUG=1 لعرض تتبّع الخطأ)"),
    (r"cannot read (.+?): (.+)", "تعذّرت قراءة {0}: {1}"),
    (r"cannot write (.+?): (.+)", "تعذّرت الكتابة في {0}: {1}"),
    (r"(.+) is not valid UTF-8 text \(control bytes in every other byte\)(.*)",
     "{0} ليس نصًّا بترميز UTF-8 (بايتات تحكّم في كل بايت ثانٍ){1}"),
    (r"(.+) is not valid UTF-8: byte (0x[0-9a-f]+) at byte offset (\d+) \(line (\d+)\): (.+?)(; it looks like .*)?",
     "{0} ليس نصًّا بترميز UTF-8: البايت {1} عند الموضع {2} (السطر {3}): {4}{5}"),
    (r"; it looks like (.+): convert it first, e\.g\. (iconv .+)", "؛ يبدو أنه بترميز {0}: حوّله أولًا، مثلًا: {1}"),
    (r"--output (.+) is a directory; name a file", "\u200f--output {0} مجلد؛ اذكر اسم ملف"),
    (r"--output (.+): folder (.+) does not exist", "\u200f--output {0}: المجلد {1} غير موجود"),
    (r"CUDA requested but unusable: (.+)", "طُلب CUDA لكنه غير صالح للاستعمال: {0}"),
    (r"CUDA not available \((.+)\); using CPU", "CUDA غير متاح ({0})؛ يعمل النموذج على المعالج"),
    (r"model (\S+) \((\S+)\) on (\S+), (\S+), (\d+) thread\(s\)",
     "النموذج {0} ({1}) على {2}، {3}، بعدد {4} من الخيوط"),
    ((r"no model given and the default model is not installed at (.+); pass a model directory "
      r"\(nahawi correct --model DIR\)"),
     "لم يُذكر نموذج والنموذج المرفق غير مثبّت في {0}؛ اذكر مجلد نموذج (nahawi correct --model DIR)"),
    (r"(.+): model directory not found", "{0}: مجلد النموذج غير موجود"),
    (r"(.+): missing \(not a model directory\? expected model\.json\)",
     "{0}: غير موجود (أهو مجلد نموذج؟ المتوقع فيه model.json)"),
    (r"(.+): missing from the model directory", "{0}: ناقص من مجلد النموذج"),
    (r"(.+): missing ONNX file", "{0}: ملف ONNX ناقص"),
    (r"(.+): corrupt or truncated \((.+)\)", "{0}: تالف أو مبتور ({1})"),
    (r"(.+): corrupt \(sha256 does not match model\.json\)", "{0}: تالف (بصمته sha256 لا تطابق model.json)"),
    (r"(.+): truncated \((\d+) bytes, expected (\d+)\)", "{0}: مبتور ({1} بايت والمتوقع {2})"),
    (r"(.+): size mismatch \((\d+) bytes, expected (\d+)\)", "{0}: الحجم لا يطابق ({1} بايت والمتوقع {2})"),
    (r"(.+): cannot load \((.+)\)", "{0}: تعذّر تحميله ({1})"),
    (r"(.+): required key '(.+)' is missing", "{0}: المفتاح المطلوب '{1}' ناقص"),
    (r"(.+): (\S+) must be (.+), got (.+)", "{0}: يجب أن تكون قيمة {1} {2}، لا {3}"),
    (r"(.+): (\S+) (.+) is outside the model directory", "{0}: {1} {2} خارج مجلد النموذج"),
    (r"model\.json says max_seq_len (\d+), but the graphs do not run at that length \((.+)\)",
     "يذكر model.json أن max_seq_len هو {0}، لكن رسوم ONNX لا تعمل بهذا الطول ({1})"),
    (r"inference failed \((.+)\)", "فشل تشغيل النموذج ({0})"),
    (r"beam must be an integer from 1 to (\d+), got (.+)", "يجب أن يكون حجم الحزمة (--beam) عددًا صحيحًا من 1 إلى {0}، لا {1}"),
    (r"max_length must be a positive integer or None, got (.+)", "يجب أن يكون --max-length عددًا صحيحًا موجبًا، لا {0}"),
    (r"min_confidence must be a number from 0 to 1 or None, got (.+)",
     "يجب أن يكون --min-confidence عددًا من 0 إلى 1، لا {0}"),
    (r"(\S+) must be a positive integer, got (.+)", "يجب أن تكون قيمة {0} عددًا صحيحًا موجبًا، لا {1}"),
    (r"the CUDA provider failed to load \(driver or CUDA/cuDNN libraries missing\)",
     "تعذّر تحميل مزوّد CUDA (برنامج التشغيل أو مكتبات CUDA/cuDNN ناقصة)"),
    (r"onnxruntime has no CUDAExecutionProvider", "نسخة onnxruntime المثبّتة بلا CUDAExecutionProvider"),
    (r"No such file or directory", "لا ملف ولا مجلد بهذا الاسم"),
    (r"Permission denied", "لا إذن بذلك"),
    (r"Is a directory", "هذا مجلد"),
    (r"invalid continuation byte", "بايت تتمة غير صالح"),
    (r"invalid start byte", "بايت بداية غير صالح"),
    (r"unexpected end of data", "نهاية غير متوقعة للبيانات"),
    (r"No such option: (\S+) \(Possible options: (.+)\)", "لا خيار باسم {0} (الأقرب: {1})"),
    (r"No such option: (\S+)", "لا خيار باسم {0}"),
    (r"Invalid value for (.+?): (.+)", "قيمة غير صالحة لـ {0}: {1}"),
    (r"Input should be a valid integer.*", "يجب أن تكون عددًا صحيحًا"),
    (r"Input should be a valid number.*", "يجب أن تكون عددًا"),
    (r"Option (.+) requires an argument\.", "الخيار {0} يحتاج قيمة"),
    (r"Got unexpected extra argument(?:s|\(s\))? \((.+)\)", "وسائط زائدة غير متوقعة ({0})"),
    (r"No such command (.+)\.", "لا أمر باسم {0}"),
    (r"Missing argument (.+)\.", "الوسيط {0} ناقص"),
    (r"this command needs the '(.+)' extra \((.+) is not installed\): (.+)",
     "هذا الأمر يحتاج الحزمة الإضافية '{0}' ({1} غير مثبّت): {2}"),
)
_COMPILED = tuple((re.compile(pattern, re.DOTALL), template) for pattern, template in _MESSAGES)


def arabic_message(message: str) -> str | None:
    """The Arabic of an English message (its quoted names and values kept), or None when unknown."""
    for pattern, template in _COMPILED:
        match = pattern.fullmatch(message)
        if match:
            groups = [_translated_part(g or "") for g in match.groups()]
            return template.format(*groups)
    return None


def _translated_part(part: str) -> str:
    """A group of a message: a hint or a nested message in Arabic too, a name or value as written."""
    if part.startswith("; it looks like "):
        return arabic_message(part) or part
    nested = arabic_message(part) if not part.startswith(("'", '"', "/", "-")) else None
    return nested if nested is not None else part


def arabic_wanted(args: list[str]) -> bool:
    """Whether a command line (or NAHAWI_LANG) asks for Arabic messages, read before click parses it (its
    own usage errors come before any option is known)."""
    import os

    for index, arg in enumerate(args):
        value = arg.partition("=")[2] if arg.startswith("--lang=") else (
            args[index + 1] if arg == "--lang" and index + 1 < len(args) else None)
        if value is not None:
            return value.strip().lower().startswith("ar")
    return os.environ.get("NAHAWI_LANG", "").strip().lower().startswith("ar")
