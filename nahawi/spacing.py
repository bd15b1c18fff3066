"""Word spacing from corpus counts: words written apart that belong together, and the reverse.

Five rules, each read off the clean corpus's word counts (nahawi.lexicon), none a word list:
- the conjunction و written alone (`و الله`) is attached to the next word: the corpus writes it alone in
  1.2 % of its uses (the other one-letter proclitics were measured too and did not help);
- two words of which one is unknown to the corpus are joined when the joined form is a common word
  (`الل ه` → `الله`);
- an unknown word that is a common short word followed by a common word is split (`مايحدث` → `ما يحدث`),
  unless it is a one-letter proclitic on a known word (`فيتحمل` is ف + يتحمل, not `في تحمل`), and only
  after a letter that does not join the next one: only there is a missing space invisible to the writer
  (`لانريد` → `لا نريد`, but `منصورة` is not `من صورة`); a less common one (`يا`) only before a part of three
  letters or more and when it is no proclitic + word (`ولا`, `وما`: their splits made most of the false alarms);
- an unknown longer word is cut where a word visibly ends: after ة, ى or ء, which are only written at a word's
  end (`المجرمةالتي`), or before the article after any non-joining letter (`تجارالدماء`), into parts the corpus
  knows; an unknown rest is cut again (`ومكانةالمرأةالسعودية`);
- a known word is split where the missing space is invisible when the corpus writes its two parts apart far
  more often than together (`يارب`: `يا رب` 505 times, `يارب` 22), from the pair counts the lexicon keeps.
On QALB-2014 dev (no punctuation) they added +3.4 F0.5 to the engine, and make 12 of its false alarms on
the 58,903 words of the dev corrected side (0.20 per 1,000, most of them reviewers' misses;
docs/RESULTS.md); the third and fourth rules added +0.24 / +0.31 more (+69 correct splits of +83) for one
more false alarm, the fifth +0.04 / +0.04 (+11 correct of +12) for three (2026-12-06). Works on word strings;
knows nothing of offsets.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from nahawi.lexicon import PROCLITICS, Lexicon
from nahawi.tables import Memo
from nahawi.text.chars import ARABIC_LETTERS


@dataclass(frozen=True)
class SpacingConfig:
    proclitics: str = "و"  # one-letter words attached to the next word ...
    proclitic_share: float = 0.02  # ... when the corpus writes them alone at most this share of their uses
    rare: int = 3  # a word seen fewer times than this is unknown to the corpus
    join_min: int = 50  # a joined form must be seen at least this often
    split_first_len: int = 3  # the first part of a split is at most this long ...
    split_first_min: int = 10_000  # ... and this common,
    # ... or this common (`يا`) when it is no proclitic + word (`ولا`) and the second part no suffix (`كم`)
    split_first_min_whole: int = 1_500
    split_second_min: int = 100  # the second part this common
    split_clitics: str = PROCLITICS  # never split one of these letters + a known word: it is one word
    split_after: str = "اأإآدذرزوؤةىء"  # the first part of a split must end in one of these (non-joining) letters
    # Longer run-together words (`المجرمةالتي`, `تجارالدماء`): cut after a letter written only at a word's
    # end, or before the article after any non-joining letter, into parts seen this often each
    long_min: int = 20
    word_final: str = "ةىء"  # letters only written at the end of a word: one inside a word ends a word
    long_second_len: int = 3  # a part cut after word_final has at least this many letters (not `ها`, `كم`)
    article: str = "ال"
    long_max_len: int = 48  # longer letter runs are not words run together but noise: left alone
    # A word one medial «ا» away from a word seen this often is that word misspelt, not two words (`لاكن`)
    misspelt_min: int = 2_000
    # A known word is two words run together when the corpus writes its parts apart (seen at least
    # known_split_min times) this many times more often than together (`يارب`: `يا رب`); 0 turns it off
    known_split_ratio: float = 20.0
    known_split_min: int = 20
    # The counts above were measured on a lexicon of this many words (the third release's); a larger corpus's
    # lexicon scales them up with its total (`ضد` is seen 3,363 times there, 12,845 in the 37M-word one)
    reference_total: int = 7_025_477


_COUNTS = ("join_min", "split_first_min", "split_first_min_whole", "split_second_min", "long_min",
           "misspelt_min", "known_split_min")  # scaled


def _arabic(word: str) -> bool:
    return bool(word) and ARABIC_LETTERS.issuperset(word)  # every character an Arabic letter


NOT_ARABIC, RARE, KNOWN = 0, 1, 2  # what `Spacing._kind` says of a word: not all Arabic letters, or how common


class Spacing:
    def __init__(self, lexicon: Lexicon, config: SpacingConfig = SpacingConfig()):
        self.count, self.bigram = lexicon.tables.count, lexicon.tables.bigram
        scale = max(1.0, lexicon.total / config.reference_total) if config.reference_total else 1.0
        self.config = dataclasses.replace(config, **{name: round(getattr(config, name) * scale) for name in _COUNTS})
        attached = {letter: lexicon.count_with_prefix(letter) for letter in config.proclitics}
        self.proclitics = frozenset(letter for letter, count in attached.items()
                                    if self.count(letter) <= config.proclitic_share * count)
        self.splits = Memo(1 << 14)  # word -> `split`'s answer: every word of every segment asks
        self.kinds = Memo(1 << 14)  # word -> NOT_ARABIC, RARE or KNOWN: `join` asks of every word twice

    def _known(self, word: str) -> bool:
        return self.count(word) >= self.config.rare

    def _kind(self, word: str) -> int:
        kind = self.kinds.get(word)
        if kind is None:
            kind = self.kinds.remember(word, NOT_ARABIC if not _arabic(word) else KNOWN if self._known(word) else RARE)
        return kind

    def join(self, first: str, second: str) -> str | None:
        """The one word `first second` should be, or None."""
        kinds = self._kind(first), self._kind(second)
        if NOT_ARABIC in kinds:
            return None
        if first in self.proclitics and len(second) > 1:
            return first + second
        if kinds == (KNOWN, KNOWN):
            return None
        return first + second if self.count(first + second) >= self.config.join_min else None

    def split(self, word: str) -> tuple[str, ...] | None:
        """The words (two or more) `word` should be, or None."""
        found = self.splits.get(word, self.splits)  # the memo itself: not asked yet (None is an answer)
        return self.splits.remember(word, self._split(word)) if found is self.splits else found

    def _split(self, word: str) -> tuple[str, ...] | None:
        c = self.config
        if not _arabic(word) or len(word) < 4:
            return None
        if self._known(word):
            return self._split_known(word)
        if word[0] in c.split_clitics and self._known(word[1:]):
            return None
        if any(word[k] == "ا" and self.count(word[:k] + word[k + 1:]) >= c.misspelt_min
               for k in range(1, len(word) - 1)):
            return None
        return self._split_short(word) or self._split_long(word)

    def _split_short(self, word: str) -> tuple[str, str] | None:
        """A common short word run into the next one (`مايحدث`)."""
        c = self.config
        best = None
        for cut in range(2, min(c.split_first_len, len(word) - 2) + 1):
            first, second = word[:cut], word[cut:]
            if first[-1] not in c.split_after:  # the writer would have seen these two words run together
                continue
            a, b = self.count(first), self.count(second)
            common = a >= c.split_first_min or (a >= c.split_first_min_whole and len(second) >= c.long_second_len
                                                and not (first[0] in c.split_clitics and self._known(first[1:])))
            if common and b >= c.split_second_min and (best is None or min(a, b) > best[0]):
                best = (min(a, b), first, second)
        return None if best is None else (best[1], best[2])

    def _split_known(self, word: str) -> tuple[str, str] | None:
        """A known word the corpus mostly writes as two (`يارب`, `ماهو`, `الحمدلله`), cut where the missing space
        is invisible (after a non-joining letter); never a proclitic + a known word (`ولابد`). Needs the pair
        counts `training.lexicon` keeps for pairs that are also written as one word."""
        c = self.config
        if not c.known_split_ratio:
            return None
        together, best = self.count(word), None
        for cut in range(2, len(word) - 1):
            first, second = word[:cut], word[cut:]
            if first[-1] not in c.split_after or len(first) > 2 and first[0] in c.split_clitics and self._known(first[1:]):
                continue  # `لا` is a word, `ولا` و + a word
            apart = self.bigram(first, second)
            if apart >= c.known_split_min and apart >= c.known_split_ratio * together and (best is None or apart > best[0]):
                best = (apart, first, second)
        return None if best is None else (best[1], best[2])

    def _split_long(self, word: str) -> tuple[str, ...] | None:
        """Words run together where a word visibly ends: after ة, ى or ء, or before the article after a
        non-joining letter; the rest is cut again when it is unknown itself. The parts with the largest least
        count win."""
        if len(word) > self.config.long_max_len:
            return None
        scored = self._long_cuts(word, {})
        return scored[1] if scored is not None else None

    def _long_cuts(self, word: str, memo: dict) -> tuple[int, tuple[str, ...]] | None:
        if word in memo:
            return memo[word]
        c, best = self.config, None
        for cut in range(2, len(word) - 2):
            first, rest = word[:cut], word[cut:]
            if not (first[-1] in c.word_final and len(rest) >= c.long_second_len
                    or first[-1] in c.split_after and rest.startswith(c.article) and len(rest) > len(c.article) + 1):
                continue
            least = self.count(first)
            if least < c.long_min:
                continue
            if self.count(rest) >= c.long_min:
                found = (min(least, self.count(rest)), (first, rest))
            elif self._known(rest):
                continue
            else:
                deeper = self._long_cuts(rest, memo)
                if deeper is None:
                    continue
                found = (min(least, deeper[0]), (first, *deeper[1]))
            if best is None or found[0] > best[0]:
                best = found
        memo[word] = best
        return best
