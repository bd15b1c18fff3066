"""The stages after the model, in their one order: per segment, the edit policy, the lexicon's checks,
spacing and usual spellings (`lexicon_stage.refine`); per document, the punctuation model in the gaps the
other edits leave (`punct_stage`), then what a writer's profile hides (`nahawi.profile.writer`). The engine runs them on each decoded segment; `training.tune` runs them
on raw model corrections under many settings, so what it tunes is exactly what the engine shows.
"""
from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass, field

from nahawi.contract import Edit
from nahawi.engine.lexicon_stage import EditPolicy, refine
from nahawi.engine.punct_stage import in_latin_marks, punctuation_edits
from nahawi.lexicon import Lexicon
from nahawi.profile.writer import WriterModel
from nahawi.punctuation import PunctuationModel
from nahawi.spacing import Spacing


@dataclass(frozen=True)
class AfterModel:
    lexicon: Lexicon | None = None
    spacing: Spacing | None = None
    policy: EditPolicy = field(default_factory=EditPolicy)
    punctuation: PunctuationModel | None = None
    punctuation_threshold: float | None = None  # None: the punctuation model's own
    writer: WriterModel | None = None  # a profile's thresholds and suppressions on what is shown (nahawi.profile)
    latin_marks: bool = False  # the writer's marks are Latin (, ? ;): kept, and the marks added written so

    def segment_edits(self, text: str, model_edits: tuple[Edit, ...] = ()) -> tuple[Edit, ...]:
        """One segment's shown edits (offsets into `text`) from the model's raw edits to it."""
        return refine(text, model_edits, self.lexicon, self.policy, self.spacing)

    def document_edits(self, text: str, segments: Iterable[tuple[int, tuple[Edit, ...]]],
                       punctuation: bool = True) -> list[Edit]:
        """A document's edits, sorted: each segment's (its start offset in `text`, its edits), then marks
        (unless punctuation is False), in the writer's mark convention."""
        edits = [dataclasses.replace(edit, start=edit.start + start, end=edit.end + start)
                 for start, segment_edits in segments for edit in segment_edits]
        if punctuation and self.punctuation is not None:
            edits += punctuation_edits(text, edits, self.punctuation, self.punctuation_threshold)
        if self.latin_marks:
            edits = in_latin_marks(text, edits)
        if self.writer is not None:
            edits = self.writer.keep(text, edits)
        return sorted(edits, key=lambda e: (e.start, e.end))
