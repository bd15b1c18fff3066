"""M2 gold files and the MaxMatch scorer (the QALB shared-task m2scorer, count for count).

`reader` parses and writes M2 and one-sentence-per-line files; `lattice`, `search` and `reduced` find the
system's edits; `scorer` counts them against the gold and picks the annotator per sentence.
"""
from nahawi.m2.reader import GoldEdit, M2Sentence, format_m2, parse_m2, read_lines, read_m2, write_m2
from nahawi.m2.scorer import Score, SentenceScore, SystemEdit, score_corpus, score_sentence

__all__ = ["GoldEdit", "M2Sentence", "Score", "SentenceScore", "SystemEdit", "format_m2", "parse_m2",
           "read_lines", "read_m2", "score_corpus", "score_sentence", "write_m2"]
