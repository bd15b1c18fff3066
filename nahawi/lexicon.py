"""Spelling-variant lexicon: corpus word counts that pick the usual hamza / ta marbuta / alif maqsura
spelling of a word.

Words are grouped by a fold that erases exactly those distinctions; within a group the most frequent spelling
replaces the written one when it is `ratio` times more frequent (`initial_hamza_ratio` for a bare initial alif
where no verb with a bare alif can stand: after the article, a preposition, لم or أنا); a final hamza the writer
left out (`شي` → `شيء`) is added when the completed word is `repair_ratio` times more frequent. On QALB-2014 dev
(no punctuation) ratio 3 gives F0.5 75.9 but 8.8 false alarms per 1,000 words of correct text (إن → أن); ratio 8
gives 76.5 and 3.4. A word the corpus does not know may also be repaired into a common word that differs only by
letters writers confuse (`fold_confusable`: `دلك` → `ذلك`), supplying a distinction but never removing one the
writer made (`adds_marks_only`); a word it knows, only into one far more frequent that differs by nothing else
(`only_supplies`: `هدا` → `هذا`). When the lexicon file also holds corpus bigram counts (for the words that have
other spellings), the neighbours decide between the spellings: a bigram model (Dirichlet-smoothed, previous and
next word) may pick another spelling than the most frequent one (`قال ان` → `قال إن`), or keep the written word
when the context prefers it over the suggestion; on QALB-2014 dev this adds +1.0 F0.5 and cuts false alarms
by 15 % (docs/RESULTS.md). A lexicon may carry a gate (nahawi.lexicon_gate), a learned check that vetoes the
suggestions reviewers would not make; with it the policy tunes the ratio and the gate's threshold together.
Works on benchmark-tokenised words and knows nothing of models or user spacing.
"""
from __future__ import annotations

import dataclasses
import gzip
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from nahawi.errors import ModelError
from nahawi.tables import Memo
from nahawi.text.punct import ARABIC_FORM

if TYPE_CHECKING:
    from nahawi.lexicon_gate import LexiconGate

FOLD = str.maketrans({"أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ؤ": "و", "ئ": "ي", "ى": "ي", "ة": "ه"})


def fold_variants(word: str) -> str:
    """The key shared by all hamza / ta marbuta / alif maqsura spellings of a word (comparison only)."""
    return word.translate(FOLD)


CONFUSABLE = str.maketrans({"ذ": "د", "ظ": "ض", "ء": ""})


def adds_marks_only(word: str, repaired: str) -> bool:
    """True when `repaired` keeps every ذ, ظ and ء the writer wrote and a final «وا»: a repair may supply a
    distinction the writer missed, never take away one the writer made (`موتوا` stays, `كانو` → `كانوا`)."""
    if word.endswith("وا") and not repaired.endswith("وا"):
        return False
    return all(repaired.count(mark) >= word.count(mark) for mark in "ذظء")


def supplied(word: str, repaired: str) -> list[str]:
    """What a repair supplies that the writer left out: a ذ, ظ or ء, or the silent alif of a final «وا»
    (`ضربو` → `ضربوا`). The lexicon gate weighs each apart: reviewers supply them at very different rates."""
    found = [mark for mark in "ذظء" if repaired.count(mark) > word.count(mark)]
    if word.endswith("و") and repaired == word + "ا":
        found.append("وا")
    return found


def only_supplies(word: str, repaired: str) -> bool:
    """True when `repaired` is `word` with nothing changed but a ذ, ظ or ء supplied or the alif of a final
    «وا» added (`هدا` → `هذا`; not `هدأ` → `هذا`, which takes away the writer's hamza)."""
    written, wanted = word.translate(CONFUSABLE), repaired.translate(CONFUSABLE)
    if wanted.endswith("وا") and not written.endswith("وا"):
        wanted = wanted[:-1]
    return written == wanted and adds_marks_only(word, repaired)


def completed_hamza(word: str) -> tuple[str, ...]:
    """Spellings of `word` with the final hamza the writer left out (`شي` → `شيء`, `سوا` → `سواء`) or put
    on a seat a final hamza after a long vowel does not take (`شئ`, `شيئ` → `شيء`): they only add a hamza."""
    if word.endswith("ئ"):
        return word[:-1] + "يء", word[:-1] + "ء"
    return (word + "ء",) if word[-1:] in ("ا", "و", "ي") else ()


def fold_confusable(word: str) -> str:
    """A wider key that also erases letters writers confuse (ذ/د, ظ/ض, a dropped ء, the silent alif of a
    final «وا»): used only to repair words the corpus does not know."""
    key = fold_variants(word).translate(CONFUSABLE)
    return key[:-1] if key.endswith("وا") else key


@dataclass(frozen=True)
class LexiconConfig:
    ratio: float = 8.0  # the usual spelling must be this many times more frequent than the written one (dev-tuned)
    min_count: int = 3  # never suggest a spelling seen fewer times in the corpus
    min_length: int = 2  # a single letter has no usual spelling (an initial, a list marker)
    unknown_below: int = 3  # a word seen fewer times is unknown: it may be repaired by the wider key ...
    repair_ratio: float = 20.0  # ... into a word at least this many times more frequent (dev-tuned)
    context_prior: float = 10_000.0  # Dirichlet prior of the bigram model (dev-tuned; larger: closer to unigram)
    gate_threshold: float = 0.5  # with a lexicon gate: the least gate probability a suggestion needs (dev-tuned)
    # ... unless its spelling is this many times more frequent than the written one (`هذة` → `هذه`, 7,000×:
    # the gate's letter features veto every ة → ه, its ratio feature saturates long before; dev-tuned); a
    # known word is repaired by the wider key only into a spelling this many times more frequent (`هدا` → `هذا`)
    sure_ratio: float = math.inf
    # A bare initial alif where no verb with a bare alif can stand takes the corpus' hamza spelling when that is
    # this many times more frequent (None: `ratio`). The ratio guards the hamza-less words that are words too,
    # and those are verbs (`اعتقد` "he believed" beside `أعتقد` "I believe"); after the article, «ب» or a
    # preposition a noun follows, after لم، لن، سوف، أنا a verb whose first person's alif is a hamza. A word
    # written with a bare alif there (`الاستقلال`, `باسم`) has no more frequent hamza spelling to take.
    initial_hamza_ratio: float | None = None


SENTENCE_START, SENTENCE_END = "<s>", "</s>"
PROCLITICS = "وفبلك"  # the one-letter proclitics written joined to the next word
# A word's bare initial alif where no verb can stand: after the article (`الاكراد`, `للاجئين`) or «ب» joined to it
NOUN_ALIF = re.compile(r"^[وف]?(?:[بك]?ال|لل|ب)(?=ا)")
# Words after which a bare initial alif is no verb's: prepositions and the adverbs used as them (a noun follows;
# not «من»: also "who", before any verb), the particles of the imperfect and «أنا» (its first person: `أعتقد`)
INITIAL_HAMZA_AFTER = frozenset(["في", "على", "الى", "إلى", "عن", "مع", "حول", "ضد", "بين", "عند", "لدى", "منذ",
                                 "نحو", "خلال", "بعد", "قبل", "دون", "عبر",
                                 *(prefix + particle for prefix in ("", "و", "ف")
                                   for particle in ("لا", "لم", "لن", "سوف", "انا", "أنا"))])
HAMZA_ALIFS = "أإآ"


class SplitWord(str):
    """A context word that will be written as several (the spacing stage splits it): the word before it reads
    its first part, the word after it its last (`ان شاءالله` is read `ان شاء`, so it becomes `إن`)."""

    def __new__(cls, word: str, parts: Sequence[str]):
        self = super().__new__(cls, word)
        self.first, self.last = parts[0], parts[-1]
        return self


def word_before(words: Sequence[str], index: int) -> str:
    """The word before words[index] as the bigram table reads it (SENTENCE_START at the start)."""
    if index <= 0:
        return SENTENCE_START
    word = words[index - 1]
    return word.last if isinstance(word, SplitWord) else word


def word_after(words: Sequence[str], index: int) -> str:
    """The word after words[index] as the bigram table reads it (SENTENCE_END at the end)."""
    if index + 1 >= len(words):
        return SENTENCE_END
    word = words[index + 1]
    return word.first if isinstance(word, SplitWord) else word


def neighbours(words: Sequence[str], index: int) -> tuple[str, str]:
    """The words either side of words[index], with the sentence boundaries as the bigram table names them."""
    return word_before(words, index), word_after(words, index)


def lexicon_config(policy) -> LexiconConfig:
    """The lexicon settings a model.json policy chooses (`lexicon_ratio`, `lexicon_repair`, `lexicon_gate`,
    `lexicon_sure_ratio`, `lexicon_initial_hamza_ratio`)."""
    config = LexiconConfig(ratio=float(policy.get("lexicon_ratio") or LexiconConfig.ratio))
    if policy.get("lexicon_gate") is not None:
        config = dataclasses.replace(config, gate_threshold=float(policy["lexicon_gate"]))
    if policy.get("lexicon_sure_ratio") is not None:
        config = dataclasses.replace(config, sure_ratio=float(policy["lexicon_sure_ratio"]))
    if policy.get("lexicon_initial_hamza_ratio") is not None:
        config = dataclasses.replace(config, initial_hamza_ratio=float(policy["lexicon_initial_hamza_ratio"]))
    if not policy.get("lexicon_repair", True):
        config = dataclasses.replace(config, repair_ratio=math.inf)
    return config


class _Remembered(Memo):
    """`Lexicon.suggest`'s recent answers (every word of every segment asks, and the same few thousand
    words ask most: ~30 % of the stage's time) and, in `context` and `candidates`, its recent context
    scores and spellings to choose from, for the tables, config and total they were computed with. A copy of
    a lexicon given other tables (nahawi.profile.overlay) or config starts a memo of its own."""

    def __init__(self, tables, config: LexiconConfig, total: int):
        super().__init__(1 << 14)
        self.tables, self.config, self.total = tables, config, total
        self.context = Memo(1 << 14)
        self.candidates = Memo(1 << 12)


class Lexicon:
    """Suggestions over corpus counts held as tables (nahawi.lexicon_tables): `counts` (and, given,
    `bigrams`) as dicts are turned into tables; the `counts` of another Lexicon reuse its tables."""

    def __init__(self, counts: Mapping[str, int], config: LexiconConfig = LexiconConfig(),
                 bigrams: Mapping[tuple[str, str], int] | None = None, gate: LexiconGate | None = None):
        from nahawi.lexicon_tables import BigramCounts, LexiconTables, WordCounts

        if isinstance(counts, WordCounts) and (not bigrams or getattr(bigrams, "tables", None) is counts.tables):
            tables = counts.tables if bigrams else counts.tables.without_bigrams()
        else:
            tables = LexiconTables.from_counts(dict(counts), dict(bigrams or {}))
        self.tables, self.config, self.gate = tables, config, gate
        self.counts, self.bigrams = WordCounts(tables), BigramCounts(tables)
        self.total = tables.total
        self._memo = _Remembered(tables, config, self.total)

    @classmethod
    def from_tables(cls, tables, config: LexiconConfig = LexiconConfig(), gate: LexiconGate | None = None) -> Lexicon:
        from nahawi.lexicon_tables import BigramCounts, WordCounts

        return cls(WordCounts(tables), config, BigramCounts(tables), gate)

    def count_with_prefix(self, prefix: str) -> int:
        """The total count of the words longer than `prefix` that start with it."""
        return self.tables.count_with_prefix(prefix)

    def knows(self, word: str) -> bool:
        return self.tables.knows(word)

    def suggest(self, word: str) -> str | None:
        """The usual spelling that should replace `word` (or, for a word the corpus does not know, the
        common word it was meant to be), or None to keep it."""
        memo = self._remembered()
        found = memo.get(word, memo)  # the memo itself: not asked yet (None is an answer)
        return memo.remember(word, self._suggest(word)) if found is memo else found

    def as_context(self, words: Sequence[str]) -> list[str]:
        """words as the bigram context reads them: in their usual spelling (`ايران` → `إيران`, as this stage
        will write it) and a Latin mark in its Arabic form (as the punctuation stage will): what the corpus
        counts."""
        return [ARABIC_FORM.get(w) or self.suggest(w) or w for w in words]

    def _remembered(self) -> _Remembered:
        memo = self._memo
        if memo.tables is not self.tables or memo.config is not self.config or memo.total != self.total:
            memo = self._memo = _Remembered(self.tables, self.config, self.total)  # a copy with other tables
        return memo

    def _suggest(self, word: str) -> str | None:
        if len(word) < self.config.min_length:
            return None
        written = self.tables.count(word)
        usual = self._frequent(self.tables.usual(fold_variants(word)), word, self.config.ratio * written)
        prefix = NOUN_ALIF.match(word)
        if usual is None and prefix is not None:
            usual = self._initial_hamza(word, prefix.end())
        # A final hamza left out is no variant of the word (nor of its usual spelling: `شئ` → `شي` → `شيء`):
        # the repair ratio decides
        base = usual or word
        completed = max(completed_hamza(base), key=self.tables.count, default=None)
        usual = self._frequent(completed, base, self.config.repair_ratio * max(self.tables.count(base), 1)) or usual
        if usual is None:
            # An unknown word is repaired at the repair ratio; a known one only into a spelling `sure_ratio`
            # times more frequent (`هدا` → `هذا`: 23 against 177,541 in the corpus)
            unknown = written < self.config.unknown_below
            if unknown:
                at_least = self.config.repair_ratio * max(written, 1)
            else:  # never below the repair ratio: a policy without repairs makes none
                at_least = max(self.config.repair_ratio, self.config.sure_ratio) * written
            usual = self._frequent(self.tables.repair(fold_confusable(word)), word, at_least)
            if usual is not None and not (adds_marks_only if unknown else only_supplies)(word, usual):
                usual = None
        return usual

    def _initial_hamza(self, word: str, at: int) -> str | None:
        """The usual spelling of `word` with a hamza on its bare alif at `at`, at the initial hamza ratio; None
        when the config has none, or the usual spelling keeps the bare alif (`الاستقلال`)."""
        if self.config.initial_hamza_ratio is None:
            return None
        usual = self._frequent(self.tables.usual(fold_variants(word)), word,
                               self.config.initial_hamza_ratio * self.tables.count(word))
        return usual if usual is not None and usual[at] in HAMZA_ALIFS else None

    def _frequent(self, candidate: str | None, word: str, at_least: float) -> str | None:
        if candidate is None or candidate == word:
            return None
        count = self.tables.count(candidate)
        return candidate if count >= self.config.min_count and count >= at_least else None

    def context_score(self, word: str, before: str, after: str) -> float:
        """log P(word | before) + log P(after | word), each smoothed towards the unigram distribution."""
        memo = self._remembered().context  # the gate asks again for the scores the context choice made
        key = (word, before, after)
        score = memo.get(key)
        if score is None:
            mu, count, bigram = self.config.context_prior, self.tables.count, self.tables.bigram
            p_word = (count(word) + 0.5) / self.total
            p_after = (count(after) + 0.5) / self.total
            left = (bigram(before, word) + mu * p_word) / (count(before) + mu)
            right = (bigram(word, after) + mu * p_after) / (count(word) + mu)
            score = memo.remember(key, math.log(left) + math.log(right))
        return score

    def suggest_in_context(self, word: str, before: str = SENTENCE_START, after: str = SENTENCE_END) -> str | None:
        """`suggest`, with the neighbours choosing among the spellings when the lexicon has bigrams, and the
        gate (nahawi.lexicon_gate), when it has one, vetoing a suggestion below `config.gate_threshold` (but
        not one `config.sure_ratio` times more frequent than the written word)."""
        found = self.suggestion_in_context(word, before, after)
        return None if found is None else found[0]

    def suggestion_in_context(self, word: str, before: str = SENTENCE_START,
                              after: str = SENTENCE_END) -> tuple[str, float] | None:
        """`suggest_in_context` with its `confidence`, computed once (the gate's features are not free)."""
        best = self.suggest(word)
        if best is None and before in INITIAL_HAMZA_AFTER and word[:1] == "ا" and len(word) >= self.config.min_length:
            best = self._initial_hamza(word, 0)
        if best is not None and self.tables.bigrams:
            best = self._choose_in_context(word, best, before, after)
        if best is None:
            return None
        confidence = self.confidence(word, best, before, after)
        if self.gate is not None and confidence < self.config.gate_threshold \
                and self.tables.count(best) < self.config.sure_ratio * max(1, self.tables.count(word)):
            return None
        return best, confidence

    def _choose_in_context(self, word: str, usual: str, before: str, after: str) -> str | None:
        key, memo = fold_variants(word), self._remembered().candidates
        if fold_variants(usual) != key:  # a repair or completion (`شئ` → `شيء`): no spelling of word is better
            candidates = [usual]
        else:
            candidates = memo.get(key)
        if candidates is None:
            candidates = memo.remember(key, [w for w, c in self.tables.spellings(key) if c >= self.config.min_count])
        score = {w: self.context_score(w, before, after) for w in {*candidates, word, usual}}
        best = max(candidates, key=score.__getitem__, default=usual)
        if best not in (word, usual):
            return best
        return None if score[word] >= score[usual] else usual

    def confidence(self, word: str, usual: str, before: str = SENTENCE_START, after: str = SENTENCE_END) -> float:
        """How sure the lexicon is that `usual` should replace `word`: the gate's probability when it has a
        gate (nahawi.lexicon_gate), else the usual spelling's share of the two counts."""
        if self.gate is not None:
            return round(self.gate.confidence(self, word, usual, before, after), 4)
        written, frequent = self.tables.count(word), self.tables.count(usual)
        return round(frequent / max(1, frequent + written), 4)


def save_lexicon(path: str | Path, counts: dict[str, int], bigrams: dict[tuple[str, str], int] | None = None) -> None:
    """gzip TSV `word<TAB>count`, then `word word<TAB>count` for bigrams (words never hold a space), sorted,
    no timestamp or name: the same counts give the same bytes, whatever the file is called."""
    lines = "".join(f"{w}\t{c}\n" for w, c in sorted(counts.items()))
    lines += "".join(f"{a} {b}\t{c}\n" for (a, b), c in sorted((bigrams or {}).items()))
    with open(path, "wb") as handle, gzip.GzipFile(filename="", mode="wb", fileobj=handle, mtime=0) as raw:
        raw.write(lines.encode("utf-8"))  # no file name in the header either: the bytes are the counts


def load_lexicon(path: str | Path, config: LexiconConfig = LexiconConfig(), gate: LexiconGate | None = None) -> Lexicon:
    """A lexicon from a tables file (nahawi.lexicon_tables: mapped, nothing parsed) or a gzip TSV
    (`save_lexicon`: read into dicts, then turned into tables in memory)."""
    from nahawi.tables import is_tables_file

    if is_tables_file(path):
        from nahawi.lexicon_tables import LexiconTables

        return Lexicon.from_tables(LexiconTables.open(path), config, gate)
    counts: dict[str, int] = {}
    bigrams: dict[tuple[str, str], int] = {}
    try:
        with gzip.open(path, "rt", encoding="utf-8") as handle:
            for number, line in enumerate(handle, 1):
                word, _, count = line.rstrip("\n").partition("\t")
                if not word or not count.isdigit():
                    raise ModelError(f"{path}: malformed lexicon line {number}")
                first, space, second = word.partition(" ")
                if space:
                    bigrams[first, second] = int(count)
                else:
                    counts[word] = int(count)
    except (OSError, EOFError, UnicodeDecodeError) as error:
        raise ModelError(f"{path}: unreadable lexicon ({error})") from error
    return Lexicon(counts, config, bigrams, gate)
