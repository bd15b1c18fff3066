"""Prose ranges of a document: what the checker may read, and what it must leave alone.

Owns the skipping rules. Every document: regions between `<!-- nahawi: ignore -->` and
`<!-- nahawi: enable -->` (or the end), URLs and e-mail addresses. Markdown also: front matter, fenced and
indented code blocks, inline code, HTML comments and tags, link destinations and reference definitions,
autolinks, and the markup characters themselves (heading hashes, quote and list markers, emphasis runs,
table pipes, rules). The result keeps every offset: skipped characters become spaces (line breaks stay),
so sentences, edits and positions computed on it are positions in the user's document. A pragmatic
CommonMark approximation, line-based; knows nothing of models, edits or LSP.

Also owns where these rules are local (`local_window`): plain-text rules never reach past a line, Markdown
rules past a paragraph only through the constructs listed in `_NOT_LOCAL` (fences, HTML comments, ignore
regions, front matter, indented code), so an edit elsewhere re-reads its own line or paragraph only.
"""
from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

Span = tuple[int, int]  # code-point [start, end) into the document

IGNORE_REGION = re.compile(r"<!--\s*nahawi:\s*ignore\s*-->.*?(?:<!--\s*nahawi:\s*enable\s*-->|\Z)", re.DOTALL)
URL = re.compile(r"\b(?:(?:https?|ftp|file)://|www\.)[^\s<>\"'`]*[^\s<>\"'`.,;:!?،؛؟)\]]"
                 r"|\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b")
_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+\Z")  # LSP line breaks: \r\n, \r, \n
_FENCE = re.compile(r" {0,3}(`{3,}|~{3,})")
_FRONT_MATTER_FENCES = ("---", "+++")  # a document's first line opening front matter
_FENCE_CLOSE = re.compile(r" {0,3}(`{3,}|~{3,})[ \t]*(?:\r\n|\r|\n)?\Z")
_INDENTED = re.compile(r"(?: {4}|\t)")
_LIST_ITEM = re.compile(r" {0,3}(?:[-+*]|\d{1,9}[.)])(?:[ \t]|$)")
_HTML_COMMENT = re.compile(r"<!--.*?(?:-->|\Z)", re.DOTALL)
_LINE_MARKUP = re.compile(
    r"^[ \t]*(?:>[ \t]?)+"  # block quote markers
    r"|^ {0,3}#{1,6}(?=[ \t]|$)|[ \t]+#+[ \t]*$"  # ATX heading hashes, opening and closing
    r"|^[ \t]*(?:[-+*]|\d{1,9}[.)])(?=[ \t])(?:[ \t]+\[[ xX]\](?=[ \t]))?"  # list markers, task boxes
    r"|^ {0,3}(?:=+|-+|(?:[*_-][ \t]*){3,})[ \t]*$"  # setext underlines and thematic breaks
    r"|^ {0,3}\[[^\]\n]+\]:[ \t]*\S.*$"  # link reference definitions
    r"|^[ \t]*\|?(?:[ \t]*:?-+:?[ \t]*\|)+(?:[ \t]*:?-+:?[ \t]*)?$",  # table delimiter rows
    re.MULTILINE)
_INLINE_MARKUP = re.compile(
    r"<(?:(?:https?|ftp|mailto):[^\s>]+|[\w.+-]+@[\w.-]+)>"  # autolinks
    r"|</?[A-Za-z][A-Za-z0-9-]*(?:\s[^<>]*)?/?>"  # HTML tags
    r"|\]\((?:[^()\s]|\([^()\s]*\))*(?:\s+(?:\"[^\"\n]*\"|'[^'\n]*'))?\s*\)"  # ](destination "title")
    r"|\]\[[^\]\n]*\]"  # ][reference]
    r"|!?\[(?=[^\]\n]*\][(\[])"  # the bracket opening a link or image
    r"|\*+|~~+|\|"  # emphasis, strike-through, table pipes
    r"|(?<![^\W_])_+|_+(?![^\W_])"  # underscores not inside a word (بوتن_مدفيدف stays)
    r"|\\(?=[!-/:-@\[-`{-~])"  # backslash escapes
    r"|&(?:[A-Za-z]+|#[0-9]+|#[xX][0-9A-Fa-f]+);")  # character references
_BACKTICKS = re.compile(r"`+")
_BLANK_LINE = re.compile(r"(?:\r\n|\r|\n)[ \t]*(?:\r\n|\r|\n)")
_LINE_BREAKS = frozenset("\r\n")


@dataclass(frozen=True)
class Prose:
    text: str  # the document with every skipped character replaced by a space (line breaks kept)
    skipped: tuple[Span, ...]  # sorted, non-overlapping spans that are not prose


def prose(text: str, markdown: bool = False, front_matter: bool = True) -> Prose:
    """The prose of a document (Markdown rules when markdown is True, else plain text rules); front_matter
    False for a piece that does not start the document (only a document's first line opens front matter)."""
    chars = list(text)
    spans = _mask(chars, [m.span() for m in IGNORE_REGION.finditer(text)])
    if markdown:
        spans += _mask(chars, _block_spans(text, front_matter))
        current = "".join(chars)
        spans += _mask(chars, [m.span() for m in _HTML_COMMENT.finditer(current)])
        spans += _mask(chars, _code_spans("".join(chars)))
        current = "".join(chars)
        spans += _mask(chars, [m.span() for m in URL.finditer(current)])
        current = "".join(chars)
        spans += _mask(chars, [m.span() for m in _LINE_MARKUP.finditer(current) if m.end() > m.start()])
        current = "".join(chars)
        spans += _mask(chars, [m.span() for m in _INLINE_MARKUP.finditer(current)])
    else:
        spans += _mask(chars, [m.span() for m in URL.finditer("".join(chars))])
    return Prose("".join(chars), merge_spans(spans))


def overlaps(spans: tuple[Span, ...], start: int, end: int, lo: int = 0) -> bool:
    """True when [start, end) touches a skipped span: shares a character with it, or, for an insertion
    (start == end), falls strictly inside it. Spans before index lo are known to end before start."""
    for k in range(lo, len(spans)):
        s, e = spans[k]
        if s >= max(end, start + 1):
            break
        if (start < e and s < end) or (start == end and s < start < e):
            return True
    return False


_NOT_LOCAL = ("<!--", "-->", "```", "~~~")  # constructs that can reach past a paragraph or a line
_PARAGRAPH_BREAK = re.compile(r"(?:\r\n|\r|\n)[ \t]*(?:\r\n|\r|\n)")
_SEGMENT_BREAK = re.compile("[\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029]")  # nahawi.text.segment's line breaks
_LEADING_BLANK = re.compile(r"\A(?:[ \t]*(?:\r\n|\r|\n))*")
_SEARCH_STEP = 4096


def local_window(text: str, start: int, end: int, markdown: bool) -> Span | None:
    """A span of text around [start, end) whose prose is the same read alone as read in the document
    (assuming it was so before the edit that made text, which the caller checks), bounded by line breaks
    where `nahawi.text.segment` cuts: a line for plain text, a paragraph (between blank lines) for
    Markdown. None when a construct in it may reach further (then the whole document is read again)."""
    if markdown:
        a, b = _paragraph_start(text, start), _paragraph_end(text, end)
    else:
        a, b = _break_before(text, start), _break_after(text, end)
    window = text[a:b]
    if "<!--" in window or "-->" in window or (markdown and any(mark in window for mark in _NOT_LOCAL)):
        return None
    if markdown and not _markdown_local(text, a, b):
        return None
    if markdown and a == 0 and _front_matter_opener(text[:b]):
        return None  # front matter may close in a later paragraph
    return a, b


def _break_before(text: str, i: int) -> int:
    lo = i
    while lo > 0:
        lo = max(0, lo - _SEARCH_STEP)
        last = None
        for last in _SEGMENT_BREAK.finditer(text, lo, i):
            pass
        if last is not None:
            return last.end()
    return 0


def _break_after(text: str, i: int) -> int:
    found = _SEGMENT_BREAK.search(text, i)
    return found.start() if found else len(text)


def _paragraph_start(text: str, i: int) -> int:
    """The start of the line after the last blank line before i (0 when there is none)."""
    lo = i
    while lo > 0:
        lo = max(0, lo - _SEARCH_STEP)
        last = None
        for last in _PARAGRAPH_BREAK.finditer(text, lo, i):
            pass
        if last is not None and (lo == 0 or last.start() > lo):
            return last.end()
    return 0


def _paragraph_end(text: str, i: int) -> int:
    """The end of the last line before the next blank line at or after i (its line break included)."""
    found = _PARAGRAPH_BREAK.search(text, i)
    if found is None:
        return len(text)
    return found.start() + (2 if text.startswith("\r\n", found.start()) else 1)


def _indented(line: str) -> bool:
    return line[:1] == "\t" or line.startswith("    ")


def _markdown_local(text: str, a: int, b: int) -> bool:
    """No indented line in the window or just after it (indented code depends on lists before), not in
    front matter, and the window starts where a Markdown line starts (after \n: `^` does not match after
    a lone \r)."""
    lines = text[a:b].splitlines()
    if any(_indented(line) for line in lines) or _indented(_LEADING_BLANK.sub("", text[b:b + 512], count=1)):
        return False
    if text.startswith(_FRONT_MATTER_FENCES) and (a == 0 or any(line.strip() in (*_FRONT_MATTER_FENCES, "...")
                                                              for line in lines)):
        return False
    return a == 0 or text[a - 1] == "\n"


_TITLE_LINE = re.compile(r"[ \t]*(?:>[ \t]?)*(?: {0,3}#{1,6}[ \t]|[-+*][ \t]|\d{1,9}[.)][ \t]|\|)")
FINAL_MARKS = frozenset(".!?؟…")


def ends_title_line(text: str, start: int, end: int) -> bool:
    """True when text[start:end] ends a heading, a list item or a table row: lines that take no full stop."""
    line_start = max(text.rfind("\n", 0, start), text.rfind("\r", 0, start)) + 1
    line_end = len(text)
    for mark in "\r\n":
        found = text.find(mark, end)
        if found != -1:
            line_end = min(line_end, found)
    return not text[end:line_end].strip(" \t#|") and _TITLE_LINE.match(text, line_start) is not None


def merge_spans(spans: list[Span]) -> tuple[Span, ...]:
    merged: list[list[int]] = []
    for start, end in sorted(s for s in spans if s[1] > s[0]):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return tuple((s, e) for s, e in merged)


def _mask(chars: list[str], spans: list[Span]) -> list[Span]:
    for start, end in spans:
        for i in range(start, end):
            if chars[i] not in _LINE_BREAKS:
                chars[i] = " "
    return spans


def _lines(text: str) -> Iterator[tuple[int, int, str]]:
    for match in _LINE.finditer(text):
        yield match.start(), match.end(), match.group()


def _front_matter_opener(text: str) -> bool:
    first = next(_lines(text), None)
    return first is not None and first[2].strip() in _FRONT_MATTER_FENCES


def _front_matter(lines: list[tuple[int, int, str]]) -> int:
    """Number of lines of a leading `---`/`+++` front matter block (0 when there is none)."""
    if not lines or not _front_matter_opener(lines[0][2]):
        return 0
    marker = lines[0][2].strip()
    closers = (marker, "...") if marker == "---" else (marker,)
    for k in range(1, len(lines)):
        if lines[k][2].strip() in closers:
            return k + 1
    return 0


def _block_spans(text: str, front_matter: bool = True) -> list[Span]:
    """Front matter (when text starts the document), fenced code blocks (to the closing fence or the end)
    and indented code blocks (after a blank line, outside lists)."""
    lines = list(_lines(text))
    skip = _front_matter(lines) if front_matter else 0
    spans = [(0, lines[skip - 1][1])] if skip else []
    fence, prev_blank, prev_code, in_list = "", True, False, False
    for start, end, line in lines[skip:]:
        if fence:
            spans.append((start, end))
            close = _FENCE_CLOSE.match(line)
            if close and close.group(1)[0] == fence[0] and len(close.group(1)) >= len(fence):
                fence = ""
            continue
        opening = _FENCE.match(line)
        if opening and not (opening.group(1)[0] == "`" and "`" in line[opening.end():]):
            fence, prev_blank, prev_code = opening.group(1), False, False
            spans.append((start, end))
            continue
        blank = not line.strip()
        if not blank and _INDENTED.match(line) and (prev_blank or prev_code) and not in_list:
            spans.append((start, end))
            prev_blank, prev_code = False, True
            continue
        if _LIST_ITEM.match(line):
            in_list = True
        elif not blank and not line[:1].isspace():
            in_list = False
        prev_code = prev_code and blank
        prev_blank = blank
    return spans


def _code_spans(text: str) -> list[Span]:
    """Inline code: a backtick run up to the next run of the same length, not across a blank line."""
    runs = list(_BACKTICKS.finditer(text))
    spans, i = [], 0
    while i < len(runs):
        opening = runs[i]
        for j in range(i + 1, len(runs)):
            if _BLANK_LINE.search(text, opening.end(), runs[j].start()):
                break
            if len(runs[j].group()) == len(opening.group()):
                spans.append((opening.start(), runs[j].end()))
                i = j
                break
        i += 1
    return spans
