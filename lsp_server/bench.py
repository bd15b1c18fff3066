"""Latency of the real language server as an editor sees it: `run_lsp_benchmark(model_dir, words=2000)`.

Starts `python -m lsp_server.main` over stdio with pygls' client, waits for the model to load, opens an
Arabic document of about `words` words (every sentence different, some with common mistakes), times the
first full check (didOpen → publishDiagnostics for version 1), then makes one-word edits in different
sentences and times each until the diagnostics for that version arrive. The debounce is set to 0 so the
numbers are the server's own work; an editor adds `nahawi.debounceMs` (300 ms by default) on top.
Returns a JSON-ready dict. Knows nothing of the server's internals beyond the `nahawi.stats` command.
"""
from __future__ import annotations

import asyncio
import math
import os
import random
import sys
import time
from pathlib import Path
from typing import Any

from nahawi.text.offsets import utf16_length

# Modern Standard Arabic sentences, some with typical learner errors (hamza, ta marbuta, alif maqsura).
SENTENCES = (
    "ذهب الطالب الى المدرسة في الصباح الباكر",
    "قال المدير ان الاجتماع سيعقد يوم الاحد القادم",
    "هذه المسألة مهمة جدا لجميع الطلاب والمعلمين",
    "لم يستطع الطالب ان يجيب على السؤال الصعب",
    "اريد ان اتعلم اللغة العربية وقواعدها",
    "كانت السماء صافيه والجو جميلا في الربيع",
    "اشترى ابي سيارة جديدة في الاسبوع الماضي",
    "يجب علينا ان نحافظ على البيئة من التلوث",
    "يعمل المعلمون بجد في المدارس الحكومية",
    "العلم نور والجهل ظلام كما يقول المثل",
    "سافرت الى القاهرة لزيارة اصدقائي القدامى",
    "تعد القراءة من اهم وسائل اكتساب المعرفة",
    "اعلنت الوزارة عن خطة جديدة لتطوير التعليم",
    "شارك اللاعبون في المباراة النهائية بحماس كبير",
    "ارتفعت اسعار المواد الغذائية في الاسواق المحلية",
    "استقبل الرئيس الوفد الرسمي في القصر الجمهوري",
    "تساقطت الامطار بغزارة على المدينة طوال الليل",
    "اكدت الدراسة ان الرياضة مفيدة لصحة الانسان",
    "رأيت مصطفي يمشي على الشاطئ مع اخيه الصغير",
    "تقع الجامعة في وسط العاصمة قرب المكتبة الوطنية",
    "لا شك ان التكنولوجيا غيرت حياتنا اليومية",
    "حضر المؤتمر عدد كبير من العلماء والباحثين",
    "كتب الشاعر قصيدة رائعة عن الوطن والحنين",
    "تناولنا الغداء في مطعم صغير على ضفة النهر",
    "اصبحت الهواتف الذكية جزءا من حياة الناس",
    "عاد المسافرون الى بلادهم بعد رحلة طويلة",
    "قرأت مقالة مفيدة عن تاريخ الاندلس وحضارتها",
    "يساعد الاطباء المرضى ويخففون آلامهم",
)
REPLACEMENTS = ("الجميل", "الكبير", "الجديد", "القديم", "البعيد", "القريب", "السريع", "الهادئ")
CONNECTORS = ("، و", "، ثم ", "، لكن ", "، بينما ")


def benchmark_document(words: int = 2000, seed: int = 0) -> str:
    """About `words` words of Arabic prose: paragraphs of five sentences, each sentence two of SENTENCES
    joined by a connector, no two sentences alike (so nothing is served from a cache)."""
    rng = random.Random(seed)
    pairs = [(a, b, c) for a in range(len(SENTENCES)) for b in range(len(SENTENCES)) if a != b
             for c in range(len(CONNECTORS))]
    rng.shuffle(pairs)
    sentences, count = [], 0
    for a, b, c in pairs:
        if count >= words:
            break
        sentence = f"{SENTENCES[a]}{CONNECTORS[c]}{SENTENCES[b]}."
        sentences.append(sentence)
        count += len(sentence.split())
    paragraphs = [" ".join(sentences[k:k + 5]) for k in range(0, len(sentences), 5)]
    return "\n\n".join(paragraphs) + "\n"


def _position(text: str, offset: int) -> dict[str, int]:
    line = text.count("\n", 0, offset)
    start = text.rfind("\n", 0, offset) + 1
    return {"line": line, "character": utf16_length(text[start:offset])}


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(fraction * len(ordered)) - 1)]


def run_lsp_benchmark(model_dir: str | Path | None, words: int = 2000, edits: int = 20,
                      timeout_s: float = 300.0) -> dict[str, Any]:
    """Drive the real server over stdio; see the module docstring. model_dir None: the default model."""
    return asyncio.run(_benchmark(model_dir, words, edits, timeout_s))


class _Session:
    """A pygls client with a wait for "diagnostics of version v have arrived"."""

    def __init__(self):
        from lsprotocol import types
        from pygls.lsp.client import LanguageClient

        from nahawi import __version__

        self.types = types
        self.client = LanguageClient("nahawi-bench", __version__)
        self.arrived: dict[int, float] = {}
        self.counts: dict[int, int] = {}
        self.messages: list[str] = []
        self._changed = asyncio.Event()

        @self.client.feature(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
        def published(params):
            if params.version is not None and params.version not in self.arrived:
                self.arrived[params.version] = time.perf_counter()
                self.counts[params.version] = len(params.diagnostics)
                self._changed.set()

        @self.client.feature(types.WINDOW_SHOW_MESSAGE)
        def shown(params):
            self.messages.append(params.message)

    async def wait_version(self, version: int, timeout_s: float) -> float:
        deadline = time.perf_counter() + timeout_s
        while version not in self.arrived:
            self._changed.clear()
            remaining = deadline - time.perf_counter()
            if remaining <= 0:
                raise TimeoutError(f"no diagnostics for version {version} within {timeout_s}s; "
                                   f"server messages: {self.messages}")
            try:
                await asyncio.wait_for(self._changed.wait(), remaining)
            except TimeoutError:
                pass
        return self.arrived[version]

    async def stats(self) -> dict:
        params = self.types.ExecuteCommandParams(command="nahawi.stats", arguments=[])
        return await self.client.workspace_execute_command_async(params)


async def _benchmark(model_dir, words: int, edits: int, timeout_s: float) -> dict[str, Any]:
    session = _Session()
    types, client = session.types, session.client
    started = time.perf_counter()
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(Path(__file__).resolve().parents[1]),
                                                                     os.environ.get("PYTHONPATH")]))}
    await client.start_io(sys.executable, "-m", "lsp_server.main", env=env)
    try:
        options = {"debounceMs": 0, "modelDir": str(model_dir) if model_dir else None}
        await client.initialize_async(types.InitializeParams(
            capabilities=types.ClientCapabilities(), process_id=os.getpid(), initialization_options=options))
        client.initialized(types.InitializedParams())
        engine = await _wait_for_engine(session, timeout_s)
        startup_s = time.perf_counter() - started
        return {"model_dir": engine.get("modelDir"), "device": engine.get("device"),
                "engine_load_s": engine.get("loadSeconds"), "startup_s": round(startup_s, 3),
                **await _measure(session, benchmark_document(words), edits, timeout_s)}
    finally:
        try:
            await asyncio.wait_for(client.shutdown_async(None), 10)
            client.exit(None)
        finally:
            await client.stop()


async def _wait_for_engine(session: _Session, timeout_s: float) -> dict:
    deadline = time.perf_counter() + timeout_s
    while time.perf_counter() < deadline:
        engine = (await session.stats())["engine"]
        if engine["loaded"]:
            return engine
        if engine["error"]:
            raise RuntimeError(f"the server could not load the model: {engine['error']}")
        await asyncio.sleep(0.05)
    raise TimeoutError(f"the model did not load within {timeout_s}s")


async def _measure(session: _Session, text: str, edits: int, timeout_s: float) -> dict[str, Any]:
    types, client = session.types, session.client
    uri = Path(os.getcwd(), "nahawi-bench.md").as_uri()
    opened = time.perf_counter()
    client.text_document_did_open(types.DidOpenTextDocumentParams(text_document=types.TextDocumentItem(
        uri=uri, language_id="plaintext", version=1, text=text)))
    first_check_s = await session.wait_version(1, timeout_s) - opened
    before = (await session.stats())["engine"]
    latencies = []
    sentences = len(_sentence_starts(text))
    chosen = random.Random(1).sample(range(sentences), min(edits, sentences))  # a different sentence each time
    for version, sentence in enumerate(chosen, start=2):
        near = _sentence_starts(text)[sentence]
        text, change = _one_word_edit(text, near, REPLACEMENTS[version % len(REPLACEMENTS)])
        sent = time.perf_counter()
        client.text_document_did_change(types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
            content_changes=[change]))
        latencies.append((await session.wait_version(version, timeout_s) - sent) * 1000)
    stats = await session.stats()
    return {"words": len(text.split()), "sentences": stats["documents"][uri]["sentences"],
            "diagnostics_first_check": session.counts[1], "first_check_s": round(first_check_s, 3),
            "edits": len(latencies), "edit_p50_ms": round(_percentile(latencies, 0.5), 1),
            "edit_p95_ms": round(_percentile(latencies, 0.95), 1), "edit_max_ms": round(max(latencies), 1),
            "segments_per_edit": round((stats["engine"]["segments"] - before["segments"]) / max(len(latencies), 1), 2),
            "engine_ms_per_edit": round(1000 * (stats["engine"]["seconds"] - before["seconds"])
                                        / max(len(latencies), 1), 1),
            "debounce_ms": 0}


def _sentence_starts(text: str) -> list[int]:
    return [k + 2 for k in range(len(text) - 1) if text[k] == "." and text[k + 1] == " "]


def _one_word_edit(text: str, near: int, word: str):
    """Replace the first word at or after offset near with word; returns the new text and the change."""
    from lsprotocol import types

    start = near
    while start < len(text) and text[start].isspace():
        start += 1
    end = start
    while end < len(text) and not text[end].isspace() and text[end] not in "،.":
        end += 1
    change = types.TextDocumentContentChangePartial(
        range=types.Range(start=types.Position(**_position(text, start)), end=types.Position(**_position(text, end))),
        text=word)
    return text[:start] + word + text[end:], change
