"""New corpus-stage files (lexicon, lexicon gate, punctuation model) into an existing model directory.

`export_stages(StagesExportRequest(...))` is `nahawi export stages`: what a researcher runs after
`nahawi train lexicon` / `lexicon-gate` / `punctuation` to try them with a model's graphs, without the
checkpoint the graphs were exported from. Each file is loaded as the engine loads it (a corrupt or foreign
file is refused before anything is written), its mapped tables are built beside it, and model.json gets the
new files' records and a `stages` block naming where each came from. The policy is kept as it was: it was
tuned on the old files, so re-tune it (`nahawi train tune-policy --model DIR --write`). No torch needed.
"""
from __future__ import annotations

import json
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from export.publish import publish
from nahawi.errors import InputError, ModelError, NahawiError
from nahawi.model_dir import (
    FORMAT,
    GATE_FILE,
    LEXICON_FILE,
    MODEL_JSON,
    PUNCTUATION_FILE,
    file_record,
    sha256_file,
    write_tables_files,
)


@dataclass(frozen=True)
class StagesExportRequest:
    model_dir: Path  # existing model directory (`nahawi export`)
    lexicon: Path | None = None  # from `nahawi train lexicon`, shipped as lexicon.tsv.gz
    lexicon_gate: Path | None = None  # from `nahawi train lexicon-gate` (fit on this lexicon), as lexicon_gate.json
    punctuation: Path | None = None  # from `nahawi train punctuation`, shipped as punctuation.json.gz
    recipe: str = ""  # how the files were made (a command or script), recorded in model.json

    def named(self) -> dict[str, Path]:
        files = {LEXICON_FILE: self.lexicon, GATE_FILE: self.lexicon_gate, PUNCTUATION_FILE: self.punctuation}
        return {name: path for name, path in files.items() if path is not None}


@dataclass(frozen=True)
class StagesExportReport:
    model_dir: Path
    stages: dict  # the model.json block

    def to_dict(self) -> dict:
        return {"model_dir": str(self.model_dir), "stages": self.stages}


def _check(name: str, path: Path) -> None:
    """Load the file as the engine does; InputError naming it when it cannot be."""
    from nahawi.lexicon import load_lexicon
    from nahawi.lexicon_gate import load_gate
    from nahawi.punctuation import load_punctuation
    from nahawi.tables import is_tables_file

    if not path.is_file():
        raise InputError(f"{path}: no such file")
    if name != GATE_FILE and is_tables_file(path):
        raise InputError(f"{path} is a tables file: give the {name} it was built from (the tables are rebuilt)")
    loader = {LEXICON_FILE: load_lexicon, GATE_FILE: load_gate, PUNCTUATION_FILE: load_punctuation}[name]
    try:
        loader(path)
    except NahawiError as error:
        raise InputError(f"{path} cannot be used as {name}: {error}") from error


def _document(directory: Path) -> dict:
    path = directory / MODEL_JSON
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise ModelError(f"{path}: cannot read a model.json ({error})") from error
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise ModelError(f"{path}: not a {FORMAT} model.json")
    return document


def export_stages(request: StagesExportRequest, log=lambda message: None) -> StagesExportReport:
    """Stage, check and publish the files. The directory is unchanged on any error."""
    named = request.named()
    if not named:
        raise InputError("name at least one of --lexicon, --lexicon-gate, --punctuation")
    document = _document(request.model_dir)
    if GATE_FILE in named and LEXICON_FILE not in named and not (request.model_dir / LEXICON_FILE).is_file():
        raise InputError(f"{request.model_dir} has no lexicon for the gate to check")
    for name, path in named.items():
        _check(name, path)
    try:
        staging = Path(tempfile.mkdtemp(prefix=".stages-staging-", dir=request.model_dir))
    except OSError as error:
        raise InputError(f"cannot write into {request.model_dir}: {error.strerror or error}") from error
    try:
        for name, path in named.items():
            shutil.copyfile(path, staging / name)
        tables = write_tables_files(staging)  # only for the sources staged here
        block = {"exported": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "recipe": request.recipe,
                 "files": {name: {"from": path.name, "sha256": sha256_file(staging / name)}
                           for name, path in named.items()}}
        files = dict(document.get("files") or {})
        files.update({name: file_record(staging / name) for name in [*named, *tables]})
        text = json.dumps({**document, "files": files, "stages": block}, ensure_ascii=False, indent=2) + "\n"
        (staging / MODEL_JSON).write_text(text, encoding="utf-8")
        order = [*named, *tables]  # a source before its tables: the engine checks each against its source
        publish(staging, request.model_dir, [*order, MODEL_JSON], "the corpus stages")
    except OSError as error:
        raise ModelError(f"cannot stage the files in {request.model_dir}: {error.strerror or error}") from error
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    log(f"wrote {', '.join(order)} into {request.model_dir}; its policy was tuned on the previous files: "
        f"re-tune it (nahawi train tune-policy --model {request.model_dir} --write)")
    return StagesExportReport(request.model_dir, block)
