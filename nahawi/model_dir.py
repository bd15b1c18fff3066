"""Model directories: the file layout, the `model.json` schema and its validating loader.

A model directory is what `nahawi export` writes and what the engine loads:

    encoder.onnx   src_ids int64 (B, S) -> cross_k, cross_v float32 (L_dec, B, H, S, d/H)
    decoder.onnx   input_ids int64 (B, 1), step int64 (), src_ids int64 (B, S),
                   cross_k, cross_v float32 (L_dec, B, H, S, d/H), past_k, past_v float32 (L_dec, B, H, T, d/H)
                   -> log_probs float32 (B, V), present_k, present_v float32 (L_dec, B, H, T+1, d/H)
    tied_table.bin optional: the int8 rows of the table an int8 seq2seq ties (its lookups and output projection),
                   ONNX external data of both graphs (export/tied_table.py); checked with the graphs
    spm.model      the SentencePiece tokenizer (pad 0, unk 1, bos 2, eos 3); model.json's tokenizer.source_bos
                   says whether the encoder reads bos + pieces + eos (original checkpoints) or pieces + eos
    lexicon.tsv.gz optional corpus word counts for the lexicon stage (checked when model.json records it)
    punctuation.json.gz optional punctuation model (checked when model.json records it)
    lexicon_gate.json optional learned check on the lexicon's suggestions (checked when model.json records it)
    lexicon.tables, punctuation.tables   optional: the two files above as memory-mapped tables (nahawi.tables),
                   what the engine loads when model.json records them (`write_tables_files` makes them)
    tagger.onnx    optional edit tagger (model.json "tagger" block): ids int64 (B, T) (bos + pieces + eos,
                   pad 0) -> word_probs float32 (B, T, word tags), mark_probs float32 (B, T, marks)
    tagger_spm.model, tagger_tags.json   its tokenizer and tag vocabulary (nahawi.tags.TagVocab)
    model.json     architecture, special ids, precision, graph I/O names, versions, sha256 + size of each file

A directory with a tagger may leave the seq2seq out (`"seq2seq": false`, no encoder.onnx / decoder.onnx:
`nahawi export tagger --tagger-only`): the tagger proposes every model edit; spm.model and the architecture
block stay, since the engine cuts segments by them.

Graph inputs and outputs are float32 for every precision (fp16 graphs cast inside). This module owns the
names and the checks; it knows nothing about torch, ONNX Runtime or how the graphs were produced. Missing
optional keys are filled with defaults and logged; missing required keys, missing files, truncated files
and checksum mismatches raise `ModelError` naming the file.
"""
from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

from nahawi.errors import ModelError
from nahawi.kinds import KIND_GROUPS, KINDS

log = logging.getLogger(__name__)

FORMAT = "nahawi-model"
FORMAT_VERSION = 1  # bump when a reader of the previous version could not load the new layout
MODEL_JSON = "model.json"
ENCODER_FILE = "encoder.onnx"
DECODER_FILE = "decoder.onnx"
TOKENIZER_FILE = "spm.model"
LEXICON_FILE = "lexicon.tsv.gz"  # optional: word counts for the lexicon stage (nahawi.lexicon)
PUNCTUATION_FILE = "punctuation.json.gz"  # optional: the punctuation model (nahawi.punctuation)
GATE_FILE = "lexicon_gate.json"  # optional: the learned check on lexicon suggestions (nahawi.lexicon_gate)
LEXICON_TABLES_FILE = "lexicon.tables"  # optional: lexicon.tsv.gz as mapped tables (nahawi.lexicon_tables)
PUNCTUATION_TABLES_FILE = "punctuation.tables"  # optional: punctuation.json.gz as mapped tables
TABLES_SOURCES = MappingProxyType({LEXICON_TABLES_FILE: LEXICON_FILE, PUNCTUATION_TABLES_FILE: PUNCTUATION_FILE})
TIED_TABLE_FILE = "tied_table.bin"  # optional: an int8 seq2seq's tied table, read by both graphs (external data)
TAGGER_FILE = "tagger.onnx"
TAGGER_TOKENIZER_FILE = "tagger_spm.model"
TAGGER_TAGS_FILE = "tagger_tags.json"
PRECISIONS = ("fp32", "fp16", "int8")

ENCODER_INPUTS = ("src_ids",)
ENCODER_OUTPUTS = ("cross_k", "cross_v")
DECODER_INPUTS = ("input_ids", "step", "src_ids", "cross_k", "cross_v", "past_k", "past_v")
DECODER_OUTPUTS = ("log_probs", "present_k", "present_v")
DECODER_ALL_LOG_PROBS = "all_log_probs"  # optional decoder output: the graph takes several new tokens at once
TAGGER_INPUTS = ("ids",)
TAGGER_OUTPUTS = ("word_probs", "mark_probs")
TAGGER_HIDDEN = "hidden"  # optional tagger output: the encoder's states (B, T, d), what a writer's adapter reads
SPECIAL_IDS = MappingProxyType({"pad": 0, "unk": 1, "bos": 2, "eos": 3})

REQUIRED_ARCHITECTURE = ("vocab_size", "d_model", "nhead", "num_decoder_layers")
OPTIONAL_ARCHITECTURE = MappingProxyType({"num_encoder_layers": None, "max_seq_len": 256})


@dataclass(frozen=True)
class GraphSpec:
    file: str  # file name inside the model directory
    inputs: tuple[str, ...]  # graph input names, in order
    outputs: tuple[str, ...]  # graph output names, in order


@dataclass(frozen=True)
class TaggerSpec:
    file: str  # the ONNX graph
    tokenizer: str  # its SentencePiece model (the pretrained encoder's)
    tags: str  # its tag vocabulary (JSON)
    max_seq_len: int  # positions, bos and eos included
    precision: str
    d_model: int | None = None  # width, when recorded (picks the default thread count)

    def path(self, directory: Path, name: str) -> Path:
        return directory / getattr(self, name)


@dataclass(frozen=True)
class ModelInfo:
    path: Path  # the model directory
    format_version: int
    precision: str  # fp32 | fp16 | int8 (weights; graph I/O is float32 in every case)
    vocab_size: int
    d_model: int
    nhead: int
    num_encoder_layers: int
    num_decoder_layers: int
    max_seq_len: int  # positions the model has embeddings for (source and target, bos/eos included)
    pad_id: int
    unk_id: int
    bos_id: int
    eos_id: int
    encoder: GraphSpec | None  # None in a tagger-only directory ("seq2seq": false): no graphs to decode
    decoder: GraphSpec | None
    tokenizer_file: str
    nahawi_version: str  # version that wrote the directory
    training_manifest_sha256: str | None  # sha256 of the training data manifest.json, when recorded
    decoding: Mapping[str, float]  # suggested length limit: max_len_a * src_len + max_len_b
    architecture: Mapping[str, object]  # the architecture block as written
    export: Mapping[str, object]  # export settings, versions and verification results as written
    policy: Mapping[str, object]  # which model edits to show (nahawi.engine.lexicon_stage.EditPolicy)
    strict_policy: Mapping[str, object]  # the same under a tighter false-alarm budget ({} when not tuned)
    learner_policy: Mapping[str, object] = field(default_factory=dict)  # for writers learning Arabic: tuned on
    # learners' text (QALB-2015 dev), the seq2seq's grammar edits shown ({} when not tuned)
    tagger: TaggerSpec | None = None  # the edit tagger, when the directory has one
    source_bos: bool = False  # the encoder's source is bos + pieces + eos (original checkpoints), not pieces + eos
    recorded: Mapping[str, str] = field(default_factory=dict)  # files model.json records (checked): name -> sha256

    @property
    def head_dim(self) -> int:
        return self.d_model // self.nhead

    @property
    def has_seq2seq(self) -> bool:
        return self.encoder is not None and self.decoder is not None

    @property
    def encoder_path(self) -> Path:
        return self.path / self.encoder.file

    @property
    def decoder_path(self) -> Path:
        return self.path / self.decoder.file

    @property
    def tokenizer_path(self) -> Path:
        return self.path / self.tokenizer_file


def sha256_file(path: str | Path) -> str:
    digest = hashlib.sha256()
    with Path(path).open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def file_record(path: str | Path) -> dict:
    """The `files` entry model.json keeps for one file."""
    path = Path(path)
    return {"sha256": sha256_file(path), "bytes": path.stat().st_size}


def _read_json(path: Path) -> dict:
    if not path.is_file():
        raise ModelError(f"{path}: missing (not a model directory? expected {MODEL_JSON})")
    try:
        values = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as error:
        raise ModelError(f"{path}: corrupt or truncated ({error})") from error
    if not isinstance(values, dict):
        raise ModelError(f"{path}: corrupt (expected a JSON object)")
    return values


def _optional(values: Mapping, key: str, default, where: Path):
    if key in values:
        return values[key]
    log.info("%s: no %r, using default %r", where, key, default)
    return default


def _object(values: Mapping, key: str, default, where: Path, name: str | None = None) -> dict:
    """values[key] (or the default when absent or null), which must be a JSON object."""
    value = _optional(values, key, default, where)
    value = default if value is None else value
    if not isinstance(value, dict):
        raise ModelError(f"{where}: {name or key} must be an object, "
                         f"got {type(value).__name__} {value!r:.60}")
    return value


def _number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


# A policy's keys the engine reads, and what each must be (other keys, such as tuned_on, are notes).
POLICY_CHECKS = MappingProxyType({
    "min_confidence": ("a number from 0 to 1", lambda v: _number(v) and 0 <= v <= 1),
    "kinds": (f"null or a list of kind names ({', '.join(KINDS)})",
              lambda v: v is None or (isinstance(v, list) and all(isinstance(k, str) and k in KINDS for k in v))),
    "prefer_lexicon": ("true or false", lambda v: isinstance(v, bool)),
    "context_check": ("true or false", lambda v: isinstance(v, bool)),
    "lexicon_ratio": ("null or a positive number", lambda v: v is None or (_number(v) and v > 0)),
    "lexicon_repair": ("true or false", lambda v: isinstance(v, bool)),
    "lexicon_gate": ("null or a number from 0 to 1", lambda v: v is None or (_number(v) and 0 <= v <= 1)),
    "lexicon_sure_ratio": ("null or a positive number", lambda v: v is None or (_number(v) and v > 0)),
    "lexicon_initial_hamza_ratio": ("null or a positive number", lambda v: v is None or (_number(v) and v > 0)),
    "punctuation": ("true or false", lambda v: isinstance(v, bool)),
    "punctuation_threshold": ("null or a number from 0 to 1",
                              lambda v: v is None or (_number(v) and 0 <= v <= 1)),
    "tagger": ("true or false", lambda v: isinstance(v, bool)),
    "tagger_word_threshold": ("a number from 0 to 1.01", lambda v: _number(v) and 0 <= v <= 1.01),
    "tagger_mark_threshold": ("a number from 0 to 1.01", lambda v: _number(v) and 0 <= v <= 1.01),
    "model_fills_gaps": ("true or false", lambda v: isinstance(v, bool)),
    "tagger_passes": ("1 or 2", lambda v: v in (1, 2) and not isinstance(v, bool)),
    "tagger_kind_thresholds": (f"an object of kind groups ({', '.join(KIND_GROUPS)}) to numbers from 0 to 1.01",
                               lambda v: isinstance(v, dict) and all(
                                   k in KIND_GROUPS and _number(x) and 0 <= x <= 1.01 for k, x in v.items())),
})


def _policy(values: Mapping, key: str, where: Path) -> dict:
    policy = _object(values, key, {}, where) if key in values else {}
    for name, value in policy.items():
        if name in POLICY_CHECKS and not POLICY_CHECKS[name][1](value):
            raise ModelError(f"{where}: {key}.{name} must be {POLICY_CHECKS[name][0]}, got {value!r}")
    return policy


def _decoding(values: Mapping, where: Path) -> dict:
    decoding = _object(values, "decoding", {"max_len_a": 1.2, "max_len_b": 10}, where)
    a, b = decoding.get("max_len_a", 1.2), decoding.get("max_len_b", 10)
    if not _number(a) or a <= 0:
        raise ModelError(f"{where}: decoding.max_len_a must be a positive number, got {a!r}")
    if isinstance(b, bool) or not isinstance(b, int) or b < 0:
        raise ModelError(f"{where}: decoding.max_len_b must be a non-negative integer, got {b!r}")
    return decoding


def _inside(directory: Path, name, key: str, where: Path) -> str:
    """A file name from model.json, which must name a file inside the model directory."""
    if not isinstance(name, str) or not name:
        raise ModelError(f"{where}: {key} must be a file name, got {name!r}")
    path = Path(name)  # read as written: a file may be a link to elsewhere, as in a download cache
    if path.is_absolute() or ".." in path.parts:
        raise ModelError(f"{where}: {key} {name!r} is outside the model directory")
    return name


def _positive_int(values: Mapping, key: str, where: Path) -> int:
    value = values.get(key)
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ModelError(f"{where}: architecture.{key} must be a positive integer, got {value!r}")
    return value


def _architecture(values: dict, where: Path) -> dict:
    arch = values.get("architecture")
    if arch is None:
        raise ModelError(f"{where}: required key 'architecture' is missing")
    if not isinstance(arch, dict):
        raise ModelError(f"{where}: architecture must be an object, got {type(arch).__name__}")
    missing = [key for key in REQUIRED_ARCHITECTURE if key not in arch]
    if missing:
        raise ModelError(f"{where}: required architecture keys missing: {', '.join(missing)}")
    resolved = {key: _positive_int(arch, key, where) for key in REQUIRED_ARCHITECTURE}
    defaults = dict(OPTIONAL_ARCHITECTURE, num_encoder_layers=resolved["num_decoder_layers"])
    for key, default in defaults.items():
        resolved[key] = _positive_int({key: _optional(arch, key, default, where)}, key, where)
    if resolved["d_model"] % resolved["nhead"]:
        raise ModelError(f"{where}: d_model {resolved['d_model']} is not divisible by nhead {resolved['nhead']}")
    return resolved


def _graph(values: dict, name: str, file: str, inputs: tuple, outputs: tuple, where: Path) -> GraphSpec:
    graphs = _object(values, "graphs", {}, where)
    spec = graphs.get(name)
    if spec is None:
        log.info("%s: no graph entry for %r, using the version-%d layout", where, name, FORMAT_VERSION)
        return GraphSpec(file, inputs, outputs)
    spec = _object(graphs, name, {}, where, f"graphs.{name}")
    file = _inside(where.parent, spec.get("file", file), f"graphs.{name}.file", where)
    try:
        names = lambda items: tuple(item["name"] if isinstance(item, dict) else str(item) for item in items)
        return GraphSpec(file, names(spec.get("inputs", inputs)), names(spec.get("outputs", outputs)))
    except (AttributeError, KeyError, TypeError) as error:
        raise ModelError(f"{where}: malformed graphs.{name} entry ({error!r})") from error


def _special_ids(values: dict, where: Path) -> dict[str, int]:
    ids = dict(SPECIAL_IDS, **_object(values, "special_ids", dict(SPECIAL_IDS), where))
    if any(isinstance(v, bool) or not isinstance(v, int) or v < 0 for v in ids.values()):
        raise ModelError(f"{where}: special_ids must be non-negative integers, got {ids}")
    return ids


def _tagger(values: dict, directory: Path, where: Path) -> TaggerSpec | None:
    if values.get("tagger") is None:
        return None
    block = _object(values, "tagger", {}, where)
    names = {key: _inside(directory, block.get(key, default), f"tagger.{key}", where)
             for key, default in (("file", TAGGER_FILE), ("tokenizer", TAGGER_TOKENIZER_FILE),
                                  ("tags", TAGGER_TAGS_FILE))}
    length = block.get("max_seq_len", OPTIONAL_ARCHITECTURE["max_seq_len"])
    if isinstance(length, bool) or not isinstance(length, int) or length < 4:
        raise ModelError(f"{where}: tagger.max_seq_len must be an integer of at least 4, got {length!r}")
    precision = block.get("precision", "fp32")
    if precision not in PRECISIONS:
        raise ModelError(f"{where}: unknown tagger.precision {precision!r}")
    architecture = block.get("architecture") if isinstance(block.get("architecture"), dict) else {}
    width = architecture.get("d_model")
    width = width if isinstance(width, int) and not isinstance(width, bool) and width > 0 else None
    return TaggerSpec(names["file"], names["tokenizer"], names["tags"], length, precision, width)


def check_files(directory: Path, names: list[str], records: Mapping, verify_hashes: bool = True) -> None:
    """Every named file exists; when model.json recorded it, its size and sha256 match."""
    for name in names:
        path = directory / name
        if not path.is_file():
            raise ModelError(f"{path}: missing from the model directory")
        record = records.get(name)
        if not isinstance(record, dict):
            log.warning("%s: no checksum recorded in %s; integrity not checked", path, MODEL_JSON)
            continue
        size, expected = path.stat().st_size, record.get("bytes")
        if isinstance(expected, int) and size < expected:
            raise ModelError(f"{path}: truncated ({size} bytes, expected {expected})")
        if isinstance(expected, int) and size != expected:
            raise ModelError(f"{path}: size mismatch ({size} bytes, expected {expected})")
        if verify_hashes and record.get("sha256") and sha256_file(path) != record["sha256"]:
            raise ModelError(f"{path}: corrupt (sha256 does not match {MODEL_JSON})")


def _check_tables_sources(directory: Path, records: Mapping) -> None:
    """A recorded tables file must have been built from the source file model.json records beside it."""
    from nahawi.tables import read_header

    for name, source in TABLES_SOURCES.items():
        if name not in records or not isinstance(records.get(source), dict):
            continue
        built_from = read_header(directory / name).get("meta", {}).get("source_sha256")
        if built_from != records[source].get("sha256"):
            raise ModelError(f"{directory / name}: built from another {source} than the one model.json records; "
                             f"rebuild it (nahawi.model_dir.write_tables_files)")


def load_model_info(path: str | Path, verify_hashes: bool = True) -> ModelInfo:
    """Read and validate a model directory; raises ModelError naming the offending file."""
    directory = Path(path)
    if not directory.is_dir():
        raise ModelError(f"{directory}: model directory not found")
    where = directory / MODEL_JSON
    values = _read_json(where)
    version = _optional(values, "format_version", FORMAT_VERSION, where)
    if not isinstance(version, int) or version > FORMAT_VERSION:
        raise ModelError(f"{where}: format_version {version!r} is newer than this nahawi reads "
                         f"({FORMAT_VERSION}); upgrade nahawi")
    precision = _optional(values, "precision", "fp32", where)
    if precision not in PRECISIONS:
        raise ModelError(f"{where}: unknown precision {precision!r}; expected one of {', '.join(PRECISIONS)}")
    arch = _architecture(values, where)
    ids = _special_ids(values, where)
    seq2seq = values.get("seq2seq", True)
    if not isinstance(seq2seq, bool):
        raise ModelError(f"{where}: seq2seq must be true or false, got {seq2seq!r}")
    encoder = _graph(values, "encoder", ENCODER_FILE, ENCODER_INPUTS, ENCODER_OUTPUTS, where) if seq2seq else None
    decoder = _graph(values, "decoder", DECODER_FILE, DECODER_INPUTS, DECODER_OUTPUTS, where) if seq2seq else None
    tokenizer = _object(values, "tokenizer", {"file": TOKENIZER_FILE}, where)
    tokenizer_file = _inside(directory, tokenizer.get("file", TOKENIZER_FILE), "tokenizer.file", where)
    source_bos = tokenizer.get("source_bos", False)
    if not isinstance(source_bos, bool):
        raise ModelError(f"{where}: tokenizer.source_bos must be true or false, got {source_bos!r}")
    records = _object(values, "files", {}, where)
    for name, record in records.items():
        _inside(directory, name, "files", where)
        if record is not None and not isinstance(record, dict):
            raise ModelError(f"{where}: files.{name} must be an object, got {type(record).__name__}")
    optional = [name for name in (LEXICON_FILE, PUNCTUATION_FILE, GATE_FILE, *TABLES_SOURCES) if name in records]
    tagger = _tagger(values, directory, where)
    if tagger is not None:
        optional += [tagger.file, tagger.tokenizer, tagger.tags]
    elif not seq2seq:
        raise ModelError(f"{where}: seq2seq is false but there is no tagger: the directory has no model")
    graphs = [encoder.file, decoder.file] if encoder is not None and decoder is not None else []
    if graphs and TIED_TABLE_FILE in records:
        graphs.append(TIED_TABLE_FILE)
    check_files(directory, [*graphs, tokenizer_file, *optional], records, verify_hashes)
    _check_tables_sources(directory, records)
    training = values.get("training") if isinstance(values.get("training"), dict) else {}
    decoding = _decoding(values, where)
    policy, strict_policy = _policy(values, "policy", where), _policy(values, "strict_policy", where)
    learner_policy = _policy(values, "learner_policy", where)
    return ModelInfo(
        path=directory, format_version=version, precision=precision, **arch,
        pad_id=ids["pad"], unk_id=ids["unk"], bos_id=ids["bos"], eos_id=ids["eos"],
        encoder=encoder, decoder=decoder, tokenizer_file=tokenizer_file,
        nahawi_version=str(_optional(values, "nahawi_version", "unknown", where)),
        training_manifest_sha256=training.get("manifest_sha256"),
        policy=MappingProxyType(policy), strict_policy=MappingProxyType(strict_policy),
        learner_policy=MappingProxyType(learner_policy), tagger=tagger,
        source_bos=source_bos,
        recorded=MappingProxyType({name: str(record.get("sha256", "")) for name, record in records.items()
                                   if isinstance(record, dict)}),
        decoding=MappingProxyType(dict(decoding)), architecture=MappingProxyType(dict(values["architecture"])),
        export=MappingProxyType(dict(values.get("export") if isinstance(values.get("export"), dict) else {})))


def write_tables_files(directory: str | Path) -> list[str]:
    """Write lexicon.tables and punctuation.tables beside the lexicon and punctuation files a model
    directory has (what the engine maps instead of parsing them); returns the names written. Each tables
    file records the sha256 of its source, which the engine checks against model.json."""
    from nahawi.lexicon import load_lexicon
    from nahawi.lexicon_tables import build_lexicon_tables
    from nahawi.punctuation import load_punctuation, punctuation_tables

    directory, written = Path(directory), []
    if (directory / LEXICON_FILE).is_file():
        lexicon = load_lexicon(directory / LEXICON_FILE)
        data = build_lexicon_tables(dict(lexicon.counts), dict(lexicon.bigrams), sha256_file(directory / LEXICON_FILE))
        (directory / LEXICON_TABLES_FILE).write_bytes(data)
        written.append(LEXICON_TABLES_FILE)
    if (directory / PUNCTUATION_FILE).is_file():
        model = load_punctuation(directory / PUNCTUATION_FILE)
        data = punctuation_tables(model.weights, model.priors, model.threshold, sha256_file(directory / PUNCTUATION_FILE))
        (directory / PUNCTUATION_TABLES_FILE).write_bytes(data)
        written.append(PUNCTUATION_TABLES_FILE)
    return written
