"""Code actions and workspace edits for Nahawi's findings.

Owns what the user can do with a diagnostic: replace with the suggestion (or with another spelling the
lexicon knows, `alternatives`); fix every finding of that kind in the document; fix everything
(`source.fixAll.nahawi`); ignore this one; add the word to the dictionary; disable the kind for the
session. Fixes are workspace edits computed from the server's own findings for the document version they
were computed on (not from what the client echoes back), so they apply the engine's edits exactly; a
fix of one finding also carries the command that records it as accepted in the writer's profile
(`learning`: editors execute an action's command after applying its edit); the other actions are commands
the server executes. Knows nothing of engines or scheduling.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from lsprotocol import types

from lsp_server.diagnostics import Finding, LineIndex, display_span
from lsp_server.dictionary import normalize_word, words_at
from lsp_server.fixall import Rewrite
from lsp_server.learning import CMD_ACCEPTED, CMD_ADAPT, CMD_ADAPT_CANCEL, suggestion
from nahawi.kinds import KINDS

FIX_ALL_KIND = f"{types.CodeActionKind.SourceFixAll.value}.nahawi"
CMD_CHECK = "nahawi.checkDocument"
CMD_APPLY_ALL = "nahawi.applyAll"
CMD_IGNORE = "nahawi.ignore"
CMD_ADD_WORD = "nahawi.addToDictionary"
CMD_DISABLE_KIND = "nahawi.disableKind"
CMD_STATS = "nahawi.stats"
COMMANDS = (CMD_CHECK, CMD_APPLY_ALL, CMD_IGNORE, CMD_ADD_WORD, CMD_DISABLE_KIND, CMD_STATS, CMD_ACCEPTED, CMD_ADAPT,
            CMD_ADAPT_CANCEL)

_TITLES = {
    "ar": {"replace": 'استبدل بـ "{0}"', "remove": 'احذف "{0}"', "insert": 'أضف "{0}"',
           "kind": 'أصلح كل أخطاء "{0}" في المستند ({1})', "all": "طبّق كل اقتراحات نحوي ({0})",
           "ignore": "تجاهل هنا", "word": 'أضف "{0}" إلى القاموس', "disable": 'عطّل "{0}" في هذه الجلسة'},
    "en": {"replace": 'Replace with "{0}"', "remove": 'Remove "{0}"', "insert": 'Insert "{0}"',
           "kind": 'Fix all "{0}" issues in the document ({1})', "all": "Apply all Nahawi fixes ({0})",
           "ignore": "Ignore here", "word": 'Add "{0}" to the dictionary', "disable": 'Disable "{0}" for this session'},
}


@dataclass(frozen=True)
class ActionContext:
    uri: str
    version: int  # the document version the findings belong to
    index: LineIndex  # over the text of that version
    findings: Sequence[Finding]  # the visible findings, in document order
    language: str  # ar | en, for titles
    document_changes: bool  # the client accepts versioned documentChanges in workspace edits
    to_diagnostic: Callable[[Finding], types.Diagnostic]
    resolve: bool = False  # the client resolves an action's edit later (codeAction/resolve): fixes of many
    # findings are sent without it, so that the list of actions is answered at once
    fix_all: Sequence[Finding | Rewrite] | None = None  # what fix-all changes (`fixall`); None: the findings
    alternatives: Callable[[Finding], Sequence[str]] = lambda finding: ()  # other spellings, best first

    def fix_all_changes(self) -> Sequence[Finding | Rewrite]:
        return self.findings if self.fix_all is None else self.fix_all


def _lazy(ctx: ActionContext, fix: str, kind: str | None = None) -> dict:
    return {"uri": ctx.uri, "version": ctx.version, "fix": fix, **({"kind": kind} if kind else {})}


def resolve_action(ctx: ActionContext, action: types.CodeAction) -> types.CodeAction:
    """action (one of ours sent without its edit) with the edit, on ctx's version."""
    data = action.data if isinstance(action.data, dict) else {}
    if data.get("fix") == "all":
        action.edit = workspace_edit(ctx, ctx.fix_all_changes())
    else:
        action.edit = workspace_edit(ctx, [f for f in ctx.findings if f.rel.kind == data.get("kind")])
    return action


def workspace_edit(ctx: ActionContext, changes: Sequence[Finding | Rewrite]) -> types.WorkspaceEdit:
    """All edits of findings (and rewrites) as one workspace edit on ctx's document version."""
    edits = [_text_edit(ctx.index, c) for c in sorted(changes, key=lambda c: (c.start, c.end))]
    if ctx.document_changes:
        document = types.OptionalVersionedTextDocumentIdentifier(uri=ctx.uri, version=ctx.version)
        return types.WorkspaceEdit(document_changes=[types.TextDocumentEdit(text_document=document, edits=edits)])
    return types.WorkspaceEdit(changes={ctx.uri: edits})


def _text_edit(index: LineIndex, finding: Finding | Rewrite) -> types.TextEdit:
    if isinstance(finding, Rewrite):
        return types.TextEdit(range=index.range(finding.start, finding.end), new_text=finding.text)
    l1, c1, l2, c2 = index.finding_span(finding, shown=False)
    return types.TextEdit(range=types.Range(start=types.Position(line=l1, character=c1),
                                            end=types.Position(line=l2, character=c2)),
                          new_text=finding.rel.replacement)


def _wanted(kind: str, only: Sequence[str] | None) -> bool:
    return not only or any(kind == o or kind.startswith(f"{o}.") for o in only)


def _replace_title(finding: Finding, titles: dict[str, str]) -> str:
    edit = finding.edit
    if not edit.original:
        return titles["insert"].format(edit.replacement)
    if not edit.replacement:
        return titles["remove"].format(edit.original)
    return titles["replace"].format(edit.replacement)


def _at(text: str, findings: Sequence[Finding], start: int, end: int) -> list[Finding]:
    """The findings whose edit or shown span (an insertion's word) overlaps [start, end]."""
    out = []
    for finding in findings:
        shown = display_span(text, finding.start, finding.end)
        if min(finding.start, shown[0]) <= end and max(finding.end, shown[1]) >= start:
            out.append(finding)
    return out


def code_actions(ctx: ActionContext, start: int, end: int, only: Sequence[str] | None) -> list[types.CodeAction]:
    """Actions for the findings overlapping [start, end] (code points), then the document-wide fix."""
    titles = _TITLES.get(ctx.language, _TITLES["ar"])
    actions: list[types.CodeAction] = []
    quick = types.CodeActionKind.QuickFix
    for finding in _at(ctx.index.text, ctx.findings, start, end) if _wanted(quick, only) else ():
        actions.extend(_finding_actions(ctx, finding, titles))
    if ctx.findings and _wanted(FIX_ALL_KIND, only):
        title = titles["all"].format(len(ctx.findings))
        actions.append(types.CodeAction(title=title, kind=FIX_ALL_KIND, data=_lazy(ctx, "all")) if ctx.resolve
                       else types.CodeAction(title=title, kind=FIX_ALL_KIND,
                                             edit=workspace_edit(ctx, ctx.fix_all_changes())))
    return actions


def _finding_actions(ctx: ActionContext, finding: Finding, titles: dict[str, str]) -> list[types.CodeAction]:
    quick = types.CodeActionKind.QuickFix
    diagnostic = ctx.to_diagnostic(finding)
    kind = KINDS.get(finding.edit.kind, KINDS["other"])
    name = kind.name_en if ctx.language == "en" else kind.name_ar
    title = _replace_title(finding, titles)
    accepted = types.Command(title=title, command=CMD_ACCEPTED, arguments=[ctx.uri, suggestion(finding)])
    actions = [types.CodeAction(title=title, kind=quick, diagnostics=[diagnostic], is_preferred=True,
                                edit=workspace_edit(ctx, [finding]), command=accepted)]
    actions += [types.CodeAction(title=titles["replace"].format(spelling), kind=quick, diagnostics=[diagnostic],
                                 edit=workspace_edit(ctx, [Rewrite(finding.start, finding.end, spelling)]))
                for spelling in ctx.alternatives(finding)]
    same_kind = [f for f in ctx.findings if f.rel.kind == finding.rel.kind]
    if len(same_kind) > 1:
        title = titles["kind"].format(name, len(same_kind))
        lazy = {"data": _lazy(ctx, "kind", finding.rel.kind)} if ctx.resolve else {"edit": workspace_edit(ctx, same_kind)}
        actions.append(types.CodeAction(title=title, kind=quick, diagnostics=[diagnostic], **lazy))
    actions.append(_command_action(titles["ignore"], CMD_IGNORE, [ctx.uri, *finding.key], diagnostic))
    words = [normalize_word(w) for w in words_at(ctx.index.text, finding.start, finding.end)]
    if len(words) == 1 and words[0]:
        actions.append(_command_action(titles["word"].format(words[0]), CMD_ADD_WORD, [words[0], ctx.uri],
                                       diagnostic))
    actions.append(_command_action(titles["disable"].format(name), CMD_DISABLE_KIND,
                                   [finding.edit.kind, ctx.uri, *finding.key], diagnostic))
    return actions


def _command_action(title: str, command: str, arguments: list, diagnostic: types.Diagnostic) -> types.CodeAction:
    return types.CodeAction(title=title, kind=types.CodeActionKind.QuickFix, diagnostics=[diagnostic],
                            command=types.Command(title=title, command=command, arguments=arguments))
