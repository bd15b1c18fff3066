"""Edit extraction: source + corrected text → word-level `Edit`s with kinds (align → merge → classify).

The pipeline, one public step per module (after ERRANT's annotator):
1. `align_tokens` (align.py): Levenshtein alignment of `model_tokens`, character-aware substitution cost;
2. `merge_ops` (merge.py): adjacent operations → edits, with the Arabic split/merge and clitic rules;
3. `exact_spans` (spans.py): token groups → character spans such that applying them is exact;
4. `classify_edit` (classify.py): a stable kind id from `nahawi.kinds.KINDS`;
5. `respacing_edits` (respace.py): a join/split that also respells, as separate spacing and letter edits.
`diff_to_edits` runs them all. It guarantees `apply_edits(source, diff_to_edits(source, corrected)) ==
corrected` for any two strings; deciding which whitespace-only edits to show a user is the engine's business.
"""
from __future__ import annotations

from nahawi.contract import Edit
from nahawi.edits.align import Op, align_tokens, substitution_cost
from nahawi.edits.classify import classify_edit, classify_word
from nahawi.edits.merge import CLITICS, Group, merge_ops
from nahawi.edits.respace import respacing_edits
from nahawi.edits.spans import Span, exact_spans
from nahawi.text.tokens import model_tokens

__all__ = ["CLITICS", "Group", "Op", "Span", "align_tokens", "classify_edit", "classify_word",
           "diff_to_edits", "exact_spans", "merge_ops", "respacing_edits", "substitution_cost"]


def diff_to_edits(source: str, corrected: str, rule_id: str = "model") -> tuple[Edit, ...]:
    """Word-level edits turning source into corrected, in source order, with code-point spans of source."""
    if source == corrected:
        return ()
    src, cor = model_tokens(source), model_tokens(corrected)
    src_text, cor_text = [t.text for t in src], [t.text for t in cor]
    groups = merge_ops(align_tokens(src_text, cor_text), src_text, cor_text)
    edits = []
    for span in exact_spans(groups, source, corrected, src, cor):
        original, replacement = source[span.s:span.e], corrected[span.cs:span.ce]
        if original != replacement:
            edits.append(Edit(span.s, span.e, replacement, classify_edit(original, replacement),
                              rule_id=rule_id, original=original))
    return tuple(edits)
