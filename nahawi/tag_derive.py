"""Gold tags of a sentence pair: the tags that turn the source tokens into the target's.

From the project's token alignment (`nahawi.edits.align`, ERRANT-style): each source token collects the
target tokens aligned to it (insertions go to the token before them); a mark inserted after a token becomes
its mark tag, a deleted clitic whose host starts with it becomes a JOIN, and everything else is the one
anchored rewrite from the token to its output (`nahawi.tags.rewrite_between`). Applying the derived tags
reproduces the target whenever it is expressible (`nahawi.tags.apply_tags`). What the tagger trains on
(`training.tagger_data`) and what a writer's decisions teach their adapter (`nahawi.profile.adapter_fit`).
"""
from __future__ import annotations

from nahawi.edits.align import DELETE as OP_DELETE
from nahawi.edits.align import INSERT as OP_INSERT
from nahawi.edits.align import align_tokens
from nahawi.tags import DELETE, JOIN, KEEP, MARKS, NO_MARK, TaggedToken, rewrite_between


def derive_tags(source: list[str], target: list[str]) -> list[TaggedToken]:
    """One TaggedToken per source token such that `apply_tags` gives `target` where tags can express it."""
    outputs: list[list[str]] = [[] for _ in source]
    deleted = [False] * len(source)
    leading: list[str] = []  # target tokens inserted before the first source token
    last = -1
    for op in align_tokens(source, target):
        if op.tag == OP_INSERT:
            (outputs[last] if last >= 0 else leading).append(target[op.j])
            continue
        last = op.i
        if op.tag == OP_DELETE:
            deleted[op.i] = True
        else:
            outputs[op.i].append(target[op.j])
    if leading and source:
        outputs[0] = leading + outputs[0]
    marks = [_peel_mark(out) for out in outputs]
    joins = _joins(source, outputs, marks)
    tagged = []
    for i, token in enumerate(source):
        if joins[i]:
            word = JOIN
        elif not outputs[i]:
            word = DELETE if deleted[i] else KEEP
        else:
            word = rewrite_between(token, " ".join(outputs[i])) or KEEP
        tagged.append(TaggedToken(token, word, marks[i]))
    return tagged


def _peel_mark(out: list[str]) -> str:
    """Take a mark inserted after the token's own output off `out` (in place)."""
    if len(out) >= 2 and out[-1] in MARKS and out[-2] not in MARKS:
        return out.pop()
    return NO_MARK


def _joins(source: list[str], outputs: list[list[str]], marks: list[str]) -> list[bool]:
    """Tokens to glue to the next one: a token whose output vanished while the next token's single output
    word starts with it (و الله → والله), or the mirror case. `outputs` and `marks` are rewritten in place
    (a mark after the glued pair follows its second token)."""
    joins = [False] * len(source)
    for i in range(len(source) - 1):
        here, there = outputs[i], outputs[i + 1]
        if len(here) + len(there) != 1:
            continue
        word = (here or there)[0]
        if len(word) > len(source[i]) and word.startswith(source[i]):
            joins[i] = True
            outputs[i], outputs[i + 1] = [], [word[len(source[i]):]]
            if marks[i] and not marks[i + 1]:
                marks[i], marks[i + 1] = NO_MARK, marks[i]
    return joins
