"""Latency of the real language server as an editor sees it: `run_lsp_benchmark(model_dir, words=2000)`.

Starts `python -m lsp_server.main` over stdio with a raw JSON-RPC client, waits for the model to load,
opens an Arabic document of about `words` words (every sentence different, some with common mistakes),
times the first full check (didOpen → publishDiagnostics for version 1), then makes one-word edits in
different sentences and times each until the diagnostics for that version arrive; right after each edit
it asks for fix-all (timed: answered for the new version before any re-check) and then for `nahawi.stats`
(the longest wait is how unresponsive the server is while it re-checks); last, it times resolving fix-all's
edit, which reads the fixed paragraphs again (first, unchanged, after one more edit). The debounce is 0 so the
numbers are the server's own work; an editor adds `nahawi.debounceMs` (300 ms by default) on top.
Returns a JSON-ready dict. Knows nothing of the server's internals beyond the `nahawi.stats` command.
"""
from __future__ import annotations

import asyncio
import json
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
                      timeout_s: float = 300.0, learner: bool = False) -> dict[str, Any]:
    """Drive the real server over stdio; see the module docstring. model_dir None: the default model;
    learner: the server set to the model's learner policy (`nahawi.learner`: the seq2seq runs)."""
    return asyncio.run(_benchmark(model_dir, words, edits, timeout_s, learner))


# What VS Code and Neovim 0.10+ announce for code actions: fixes of many findings are resolved when chosen.
CAPABILITIES = {"textDocument": {"codeAction": {
    "dataSupport": True, "resolveSupport": {"properties": ["edit"]},
    "codeActionLiteralSupport": {"codeActionKind": {"valueSet": ["quickfix", "source.fixAll"]}}}}}


class _Session:
    """A raw JSON-RPC client over the server's stdio: frames parsed with json.loads as an editor would (a
    pygls client would add seconds of its own converting thousands of diagnostics), with the time each
    version's diagnostics arrived."""

    def __init__(self, process: asyncio.subprocess.Process):
        self.process = process
        self.arrived: dict[int, float] = {}
        self.counts: dict[int, int] = {}
        self.messages: list[str] = []
        self.replies: dict[int, asyncio.Future] = {}
        self.next_id = 0
        self._changed = asyncio.Event()
        self.reader = asyncio.get_running_loop().create_task(self._read())

    def send(self, message: dict) -> None:
        body = json.dumps({"jsonrpc": "2.0", **message}, ensure_ascii=False).encode()
        self.process.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)

    def notify(self, method: str, params: Any) -> None:
        self.send({"method": method, "params": params})

    async def request(self, method: str, params: Any, timeout_s: float = 60.0) -> Any:
        self.next_id += 1
        future = self.replies[self.next_id] = asyncio.get_running_loop().create_future()
        self.send({"id": self.next_id, "method": method, "params": params})
        reply = await asyncio.wait_for(future, timeout_s)
        if "error" in reply:
            raise RuntimeError(f"{method}: {reply['error']}")
        return reply.get("result")

    async def _read(self) -> None:
        stream = self.process.stdout
        while True:
            header = await stream.readuntil(b"\r\n\r\n")
            length = int(header.split(b"Content-Length:")[1].split(b"\r\n")[0])
            message = json.loads(await stream.readexactly(length))
            self._handle(message, time.perf_counter())

    def _handle(self, message: dict, now: float) -> None:
        method = message.get("method")
        if method == "textDocument/publishDiagnostics":
            version = message["params"].get("version")
            if version is not None and version not in self.arrived:
                self.arrived[version] = now
                self.counts[version] = len(message["params"]["diagnostics"])
                self._changed.set()
        elif method == "window/showMessage":
            self.messages.append(message["params"]["message"])
        elif method is not None and "id" in message:
            self.send({"id": message["id"], "result": None})
        elif message.get("id") in self.replies:
            self.replies.pop(message["id"]).set_result(message)

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
        return await self.request("workspace/executeCommand", {"command": "nahawi.stats", "arguments": []})


async def _benchmark(model_dir, words: int, edits: int, timeout_s: float, learner: bool = False) -> dict[str, Any]:
    started = time.perf_counter()
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(Path(__file__).resolve().parents[1]),
                                                                     os.environ.get("PYTHONPATH")]))}
    process = await asyncio.create_subprocess_exec(sys.executable, "-m", "lsp_server.main", env=env,
                                                   stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
                                                   limit=1 << 26)
    session = _Session(process)
    try:
        options = {"debounceMs": 0, "modelDir": str(model_dir) if model_dir else None, "learner": learner}
        await session.request("initialize", {"processId": os.getpid(), "rootUri": None, "capabilities": CAPABILITIES,
                                             "initializationOptions": options})
        session.notify("initialized", {})
        engine = await _wait_for_engine(session, timeout_s)
        startup_s = time.perf_counter() - started
        return {"model_dir": engine.get("modelDir"), "device": engine.get("device"), "policy": engine.get("policy"),
                "seq2seq": engine.get("seq2seq"),
                "engine_load_s": engine.get("loadSeconds"), "startup_s": round(startup_s, 3),
                **await _measure(session, benchmark_document(words), edits, timeout_s)}
    finally:
        try:
            await session.request("shutdown", None, 10)
            session.notify("exit", None)
            await asyncio.wait_for(process.wait(), 10)
        except (TimeoutError, RuntimeError, ConnectionError):
            process.kill()
        session.reader.cancel()


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
    uri = Path(os.getcwd(), "nahawi-bench.md").as_uri()
    opened = time.perf_counter()
    session.notify("textDocument/didOpen", {"textDocument": {"uri": uri, "languageId": "plaintext", "version": 1,
                                                             "text": text}})
    first_check_s = await session.wait_version(1, timeout_s) - opened
    before = (await session.stats())["engine"]
    latencies, fix_all, answers, no_fix = [], [], [], 0
    sentences = len(_sentence_starts(text))
    chosen = random.Random(1).sample(range(sentences), min(edits, sentences))  # a different sentence each time
    for version, sentence in enumerate(chosen, start=2):
        near = _sentence_starts(text)[sentence]
        text, change = _one_word_edit(text, near, REPLACEMENTS[version % len(REPLACEMENTS)])
        sent = time.perf_counter()
        session.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": version},
                                                  "contentChanges": [change]})
        actions = await session.request("textDocument/codeAction", {
            "textDocument": {"uri": uri}, "range": change["range"],
            "context": {"diagnostics": [], "only": ["source.fixAll"]}}, timeout_s)
        fix_all.append((time.perf_counter() - sent) * 1000)
        asked = time.perf_counter()
        await session.stats()
        answers.append((time.perf_counter() - asked) * 1000)
        no_fix += not actions
        latencies.append((await session.wait_version(version, timeout_s) - sent) * 1000)
    stats = await session.stats()
    resolve_ms = await _time_fix_all(session, uri, text, len(chosen) + 2, timeout_s)
    return {"words": len(text.split()), "bytes": len(text.encode()),
            "paragraphs": stats["documents"][uri]["paragraphs"],
            "diagnostics_first_check": session.counts[1], "first_check_s": round(first_check_s, 3),
            "edits": len(latencies), "edit_p50_ms": round(_percentile(latencies, 0.5), 1),
            "edit_p95_ms": round(_percentile(latencies, 0.95), 1), "edit_max_ms": round(max(latencies), 1),
            "fix_all_after_edit_p50_ms": round(_percentile(fix_all, 0.5), 1),
            "fix_all_empty_after_edit": no_fix,
            "request_during_check_max_ms": round(max(answers), 1),
            "fix_all_resolve_ms": resolve_ms,
            "segments_per_edit": round((stats["engine"]["segments"] - before["segments"]) / max(len(latencies), 1), 2),
            "engine_ms_per_edit": round(1000 * (stats["engine"]["seconds"] - before["seconds"])
                                        / max(len(latencies), 1), 1),
            "debounce_ms": 0}


async def _time_fix_all(session: _Session, uri: str, text: str, version: int, timeout_s: float) -> dict:
    """Milliseconds to resolve fix-all's edit (the fixes read again until nothing is left to fix) on the
    checked document: the first time, again unchanged, and after one more one-word edit."""
    times = {}
    for label in ("first", "again", "after_edit"):
        if label == "after_edit":
            text, change = _one_word_edit(text, _sentence_starts(text)[len(_sentence_starts(text)) // 3], "اخذ")
            session.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": version},
                                                      "contentChanges": [change]})
            await session.wait_version(version, timeout_s)
        actions = await session.request("textDocument/codeAction", {
            "textDocument": {"uri": uri}, "range": {"start": _position(text, 0), "end": _position(text, 0)},
            "context": {"diagnostics": [], "only": ["source.fixAll"]}}, timeout_s)
        asked = time.perf_counter()
        await session.request("codeAction/resolve", actions[0], timeout_s)
        times[label] = round((time.perf_counter() - asked) * 1000, 1)
    return times


def _sentence_starts(text: str) -> list[int]:
    return [k + 2 for k in range(len(text) - 1) if text[k] == "." and text[k + 1] == " "]


def _one_word_edit(text: str, near: int, word: str):
    """Replace the first word at or after offset near with word; returns the new text and the change."""
    start = near
    while start < len(text) and text[start].isspace():
        start += 1
    end = start
    while end < len(text) and not text[end].isspace() and text[end] not in "،.":
        end += 1
    change = {"range": {"start": _position(text, start), "end": _position(text, end)}, "text": word}
    return text[:start] + word + text[end:], change
