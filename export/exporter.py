"""The guarded export pipeline: checkpoint (+ LoRA) → merged model → ONNX → verify → (quantize) → model dir.

Order, as in CTranslate2's `Converter.convert`: refuse an existing destination without `force`; load the
checkpoint without code execution and merge the adapter; export fp32 graphs into a staging directory
beside the destination; check them (onnx.checker, torch ≡ ONNX log-probs on untraced shapes, identical
greedy outputs); convert to fp16/int8 and compare with fp32 (optionally on QALB-2014 dev through the
engine); write spm.model and model.json with a checksum per file; only then rename the staging
directory into place, so a half-written model directory never exists under the destination name.
This module orchestrates; graph layout, conversion and measurements live in onnx_graphs, quantize, verify.
"""
from __future__ import annotations

import dataclasses
import json
import math
import platform
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from nahawi.errors import InputError, ModelError
from nahawi.model_dir import (
    DECODER_FILE,
    ENCODER_FILE,
    FORMAT,
    FORMAT_VERSION,
    GATE_FILE,
    LEXICON_FILE,
    MODEL_JSON,
    PRECISIONS,
    PUNCTUATION_FILE,
    TIED_TABLE_FILE,
    TOKENIZER_FILE,
    file_record,
    sha256_file,
    write_tables_files,
)

Log = Callable[[str], None]


@dataclass(frozen=True)
class ExportRequest:
    checkpoint: Path  # ours ({'model_state_dict', 'config', ...}) or the original (bare or {'model_state_dict'})
    out: Path  # model directory to create
    lora: Path | None = None  # adapter to merge: ours or the original {'lora_state_dict': ...}
    lora_alpha: float | None = None  # adapter scaling numerator; default: the file's, else 2 x rank
    config: Path | None = None  # model config JSON (ours or the original's); default: the checkpoint's
    tokenizer: Path | None = None  # SentencePiece model; default: the one the checkpoint's training used
    precision: str = "fp32"  # fp32 | fp16 | int8
    force: bool = False  # replace an existing model directory
    verify_dev: int = 0  # fp16/int8: compare dev F0.5 with fp32 on the first N QALB-2014 dev documents
    dev_max_drop: float = 0.01  # largest accepted dev F0.5 drop (F0.5 on a 0-1 scale)
    parity_tolerance: float = 1e-4  # largest accepted |log p| difference between torch and ONNX fp32
    min_top1_agreement: float = 0.9  # fp16/int8: least accepted share of next-token argmaxes equal to fp32
    independence_tolerance: float = 1e-6  # int8: largest accepted |log p| change of a sentence batched
    calibration: Path | None = None  # int8: sentences (text lines, or JSONL with "source"); default built-in
    calibration_lines: int = 512  # int8: first N sentences of the calibration file
    threads: int = 1  # ONNX Runtime intra-op threads while verifying
    opset: int = 20  # ONNX opset of the exported graphs
    data_root: Path | None = None  # folder holding qalb/ (default: NAHAWI_DATA_ROOT or ../shared/data)
    lexicon: Path | None = None  # word counts from `nahawi train lexicon`, shipped as lexicon.tsv.gz
    punctuation: Path | None = None  # from `nahawi train punctuation`, shipped as punctuation.json.gz
    lexicon_gate: Path | None = None  # from `nahawi train lexicon-gate`, shipped as lexicon_gate.json
    recipe: str | None = None  # how the inputs were made (a recipe file or script), recorded in model.json

    def extras(self) -> dict[str, Path]:
        """Optional files copied into the model directory, by their name there."""
        named = {LEXICON_FILE: self.lexicon, PUNCTUATION_FILE: self.punctuation, GATE_FILE: self.lexicon_gate}
        return {name: path for name, path in named.items() if path is not None}


@dataclass(frozen=True)
class ExportReport:
    out: Path
    precision: str
    parity: dict  # torch vs ONNX fp32 (verify.ParityReport)
    greedy: dict  # torch vs ONNX greedy (verify.GreedyReport)
    variant: dict | None  # fp16/int8 vs fp32 (verify.VariantReport)
    dev: dict | None  # dev F0.5 comparison, or why it was skipped
    files: dict[str, int]  # bytes per file in the model directory

    def to_dict(self) -> dict:
        return _jsonable(dataclasses.asdict(self))


def _jsonable(value):
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def check_destination(request: ExportRequest) -> None:
    out = request.out
    if request.precision not in PRECISIONS:
        raise InputError(f"unknown precision {request.precision!r}; choose one of {', '.join(PRECISIONS)}")
    for given in (request.checkpoint, request.lora, request.config, request.tokenizer):
        if given is not None and out.resolve() in Path(given).resolve().parents:
            raise InputError(f"--out {out} contains the input {given}; choose another directory")
    if not out.exists():
        return
    if not request.force:
        raise InputError(f"{out} already exists; pass --force to replace it")
    if not out.is_dir() or (any(out.iterdir()) and not (out / MODEL_JSON).is_file()):
        raise InputError(f"{out} exists and is not a model directory; refusing to replace it even with --force")


def _training_config(payload, checkpoint: Path) -> dict:
    """The training config the checkpoint records, else the run's config.json next to it."""
    if isinstance(payload, dict) and isinstance(payload.get("train_config"), dict):
        return payload["train_config"]
    run_config = checkpoint.parent / "config.json"
    try:
        values = json.loads(run_config.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return values.get("train", {}) if isinstance(values, dict) and isinstance(values.get("train"), dict) else {}


def _recorded_path(recorded: str, checkpoint: Path) -> Path | None:
    """A path recorded at training time: as written, or relative to the checkpoint's run folders."""
    path = Path(recorded)
    candidates = [path] if path.is_absolute() else [path, *(base / path for base in checkpoint.resolve().parents[:3])]
    return next((c for c in candidates if c.exists()), None)


def load_merged(request: ExportRequest, log: Log):
    """-> (eval-mode merged model, checkpoint payload, provenance dict for model.json)."""
    from training.checkpoint import load_model, safe_load
    from training.config import load_model_config
    from training.lora import load_adapter, merge_lora

    config = load_model_config(request.config) if request.config else None
    model, payload = load_model(request.checkpoint, config)
    ours = isinstance(payload, dict) and isinstance(payload.get("config"), dict)
    source = "config file" if config else "checkpoint" if ours else "inferred from tensor shapes"
    if source.startswith("inferred"):
        log(f"warning: no config given; head count guessed as {model.config.nhead} - pass --config if wrong")
    step = payload.get("step", (payload.get("trainer_state") or {}).get("step")) if isinstance(payload, dict) else None
    provenance = {"checkpoint": {"file": request.checkpoint.name, "sha256": sha256_file(request.checkpoint),
                                 "layout": "nahawi" if ours else "original", "step": step,
                                 "config_source": source}, "lora": None}
    if request.lora:
        lora = load_adapter(model, request.lora, request.lora_alpha)
        adapted = len({key.rsplit(".", 1)[0] for key in safe_load(request.lora)["lora_state_dict"]})
        merged = merge_lora(model)  # every target Linear is wrapped; those without adapter weights are unchanged
        provenance["lora"] = {"file": request.lora.name, "sha256": sha256_file(request.lora), "rank": lora.rank,
                              "alpha": lora.alpha, "targets": list(lora.targets), "adapted_modules": adapted}
        log(f"merged LoRA rank {lora.rank} alpha {lora.alpha:g} ({adapted} adapted of {merged} target layers)")
    return model.eval(), payload, provenance


def resolve_tokenizer(request: ExportRequest, payload) -> Path:
    if request.tokenizer is not None:
        if not request.tokenizer.is_file():
            raise InputError(f"tokenizer not found: {request.tokenizer}")
        return request.tokenizer
    recorded = _training_config(payload, request.checkpoint).get("tokenizer")
    if not recorded:
        raise InputError("the checkpoint records no tokenizer; pass --tokenizer SPM.model")
    found = _recorded_path(recorded, request.checkpoint)
    if found is None or not found.is_file():
        raise InputError(f"the checkpoint's tokenizer {recorded} was not found; pass --tokenizer SPM.model")
    return found


def load_tokenizer(path: Path, config):
    """The SentencePiece model, checked against the model's vocabulary size and special ids."""
    import sentencepiece as spm

    try:
        sp = spm.SentencePieceProcessor(model_file=str(path))
    except (OSError, RuntimeError) as error:
        raise ModelError(f"{path}: not a SentencePiece model ({error})") from error
    if sp.vocab_size() != config.vocab_size:
        raise ModelError(f"{path}: {sp.vocab_size()} pieces, but the model has a {config.vocab_size}-entry vocabulary")
    got = (sp.pad_id(), sp.unk_id(), sp.bos_id(), sp.eos_id())
    expected = (config.pad_id, config.unk_id, config.bos_id, config.eos_id)
    if got != expected:
        raise ModelError(f"{path}: special ids pad/unk/bos/eos are {got}, the model expects {expected}")
    return sp


def _training_record(payload, request: ExportRequest) -> dict:
    """model.json's `training` block: the data manifest's hash, the recipe, the checkpoint's training config,
    and the same for the adapter's own run when one is merged (its config.json sits beside it)."""
    record = {**_run_record(_training_config(payload, request.checkpoint), request.checkpoint),
              "recipe": request.recipe}
    if request.lora is not None:
        record["lora"] = _run_record(_training_config(None, request.lora), request.lora)
    return record


def _run_record(config: dict, anchor: Path) -> dict:
    data_dir = config.get("data_dir")
    found = _recorded_path(str(Path(data_dir) / "manifest.json"), anchor) if data_dir else None
    return {"data_dir": data_dir, "manifest_sha256": sha256_file(found) if found else None,
            "train_config": {k: _no_local_path(v) for k, v in config.items()}}


def _no_local_path(value):
    """An absolute path as its file name only: model.json ships, the machine it was made on does not."""
    return Path(value).name if isinstance(value, str) and Path(value).is_absolute() else value


def _versions() -> dict:
    import onnx
    import onnxscript
    import torch

    import nahawi
    from nahawi.engine.sessions import import_onnxruntime

    onnxruntime = import_onnxruntime()

    return {"nahawi": nahawi.__version__, "torch": torch.__version__, "onnx": onnx.__version__,
            "onnxscript": onnxscript.__version__, "onnxruntime": onnxruntime.__version__,
            "python": platform.python_version()}


def write_model_dir(directory: Path, precision: str, config, tokenizer: Path, metadata: dict,
                    extras: dict[str, Path] | None = None) -> None:
    """Copy the tokenizer (and the optional files: lexicon, punctuation model, with their mapped tables) and
    write model.json (with a checksum per file) beside the graphs."""
    from export.onnx_graphs import graph_io

    shutil.copyfile(tokenizer, directory / TOKENIZER_FILE)
    files = (ENCODER_FILE, DECODER_FILE, TOKENIZER_FILE)
    if (directory / TIED_TABLE_FILE).is_file():  # the graphs' shared int8 table (export/tied_table.py)
        files += (TIED_TABLE_FILE,)
    for name, path in (extras or {}).items():
        shutil.copyfile(path, directory / name)
        files += (name,)
    files += tuple(write_tables_files(directory))  # what the engine maps instead of parsing (nahawi.tables)
    document = {
        "format": FORMAT, "format_version": FORMAT_VERSION, "nahawi_version": metadata["export"]["versions"]["nahawi"],
        "precision": precision, "io_dtype": "float32", "architecture": config.to_dict(),
        "special_ids": {"pad": config.pad_id, "unk": config.unk_id, "bos": config.bos_id, "eos": config.eos_id},
        "graphs": {name: {"file": file, **graph_io(directory / file)}
                   for name, file in (("encoder", ENCODER_FILE), ("decoder", DECODER_FILE))},
        "tokenizer": {"file": TOKENIZER_FILE, "vocab_size": config.vocab_size, "type": "sentencepiece",
                      # the original scripts encode [bos] + pieces[:254] + [eos]; ours pieces + [eos]
                      "source_bos": metadata["export"]["checkpoint"]["layout"] == "original"},
        "decoding": {"max_len_a": 1.2, "max_len_b": 10}, **metadata,
        "files": {name: file_record(directory / name) for name in files},
    }
    (directory / MODEL_JSON).write_text(json.dumps(_jsonable(document), ensure_ascii=False, indent=2) + "\n",
                                        encoding="utf-8")


def _verify_fp32(model, sp, directory: Path, request: ExportRequest, log: Log):
    from export import verify

    verify.check_graphs(directory)
    config = model.config
    reference = verify.OnnxSeq2Seq(directory, request.threads, pad_id=config.pad_id, bos_id=config.bos_id,
                                   eos_id=config.eos_id, max_seq_len=config.max_seq_len)
    parity = verify.torch_onnx_parity(model, reference)
    log(f"torch vs ONNX fp32: max |log p| diff {parity.max_abs_log_prob:.2e} (one call over the target "
        f"{parity.max_abs_parallel:.2e}), cross k/v {parity.max_abs_cross:.2e} on (batch, src, tgt) "
        f"{list(parity.shapes)}")
    worst = max(parity.max_abs_log_prob, parity.max_abs_parallel)
    if not worst <= request.parity_tolerance:
        raise ModelError(f"ONNX fp32 log-probs differ from torch by {worst:.3g} "
                         f"(tolerance {request.parity_tolerance:g}); not writing {request.out}")
    samples = verify.encode_sentences(sp, verify.SAMPLE_SENTENCES, config)
    greedy = verify.greedy_parity(model, reference, samples)
    log(f"greedy torch vs ONNX: {greedy.identical}/{greedy.sentences} identical, {greedy.near_ties} near-ties")
    if greedy.mismatches:
        raise ModelError(f"ONNX greedy output differs from torch on {greedy.mismatches} of {greedy.sentences} "
                         f"sample sentences; not writing {request.out}")
    return reference, samples, {"parity": dataclasses.asdict(parity), "greedy": dataclasses.asdict(greedy)}


def _dev_check(request: ExportRequest, fp32_dir: Path, variant_dir: Path, scorer, log: Log) -> dict:
    from export.verify import engine_dev_scorer

    why = ""
    if scorer is None:
        scorer, why = engine_dev_scorer(request.data_root, request.threads)
    if scorer is None:
        log(why)
        return {"skipped": why}
    reference, variant = scorer(fp32_dir, request.verify_dev), scorer(variant_dir, request.verify_dev)
    result = {"docs": request.verify_dev, "fp32_f0.5": reference, f"{request.precision}_f0.5": variant,
              "drop": reference - variant, "max_drop": request.dev_max_drop}
    log(f"dev F0.5 on {request.verify_dev} docs: fp32 {reference:.4f}, {request.precision} {variant:.4f}")
    if reference - variant > request.dev_max_drop:
        raise ModelError(f"{request.precision} loses {reference - variant:.4f} dev F0.5 against fp32 "
                         f"(more than {request.dev_max_drop}); not writing {request.out}")
    return result


def _publish(final: Path, out: Path, staging: Path) -> None:
    if out.exists():
        out.rename(staging / "replaced")  # removed with the staging directory
    final.rename(out)


def _metadata(request: ExportRequest, payload, provenance: dict, verification: dict) -> dict:
    settings = {k: v.name if isinstance(v, Path) else v for k, v in dataclasses.asdict(request).items()
                if k not in ("out", "force", "data_root")}  # file names only: no local paths shipped
    return {"training": _training_record(payload, request),
            "export": {"created": time.strftime("%Y-%m-%dT%H:%M:%S%z"), **provenance, "opset": request.opset,
                       "settings": settings, "versions": _versions(), "verification": verification}}


def _make_variant(request: ExportRequest, config, sp, tokenizer: Path, metadata: dict, fp32_dir: Path, reference,
                  samples, dev_scorer, log: Log) -> Path:
    """Convert the verified fp32 graphs, compare them with fp32, write the variant's model directory."""
    from export import quantize, verify
    from export.calibration import calibration_texts

    target = fp32_dir.parent / request.precision
    calibration, source = [], None
    if request.precision == "int8":
        texts, source = calibration_texts(request.calibration, request.calibration_lines)
        calibration = verify.encode_sentences(sp, texts, config)
    conversion = quantize.convert_graphs(fp32_dir, target, request.precision, calibration, config.bos_id)
    metadata["export"]["quantization"] = {**conversion, **({"calibration": source} if source else {})}
    verify.check_graphs(target)
    report = verify.compare_variant(request.precision, reference, target, config, samples, request.threads)
    log(f"{request.precision} vs fp32: max |log p| diff {report.max_abs_log_prob:.3g}, top-1 agreement "
        f"{report.top1_agreement:.3f}, greedy identical {report.greedy_identical:.2f}; a sentence batched vs "
        f"alone {report.batch_independence_max_abs_log_prob:.3g} {report.note}".rstrip())
    if report.ran and not report.top1_agreement >= request.min_top1_agreement:
        raise ModelError(f"{request.precision} graphs pick the fp32 next token only {report.top1_agreement:.1%} "
                         f"of the time (minimum {request.min_top1_agreement:.0%}); not writing {request.out}")
    if (report.ran and request.precision == "int8"
            and not report.batch_independence_max_abs_log_prob <= request.independence_tolerance):
        raise ModelError(f"int8 log-probs change with a sentence's batch neighbours by up to "
                         f"{report.batch_independence_max_abs_log_prob:.3g} (tolerance "
                         f"{request.independence_tolerance:g}); not writing {request.out}")
    verification = metadata["export"]["verification"]
    verification["variant"] = dataclasses.asdict(report)
    write_model_dir(target, request.precision, config, tokenizer, metadata, request.extras())  # dev check loads it
    if request.verify_dev > 0:
        verification["dev"] = _dev_check(request, fp32_dir, target, dev_scorer, log)
        write_model_dir(target, request.precision, config, tokenizer, metadata, request.extras())
    return target


def export_model(request: ExportRequest, log: Log = lambda message: None, dev_scorer=None) -> ExportReport:
    """Run the whole pipeline; raises InputError/ModelError/ConfigError without touching request.out.

    dev_scorer: a verify.DevScorer for `verify_dev` (default: verify.engine_dev_scorer, through the engine).
    """
    from export.onnx_graphs import export_graphs

    check_destination(request)
    started = time.time()
    model, payload, provenance = load_merged(request, log)
    tokenizer = resolve_tokenizer(request, payload)
    sp = load_tokenizer(tokenizer, model.config)
    request.out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{request.out.name}.staging-", dir=request.out.parent))
    try:
        fp32_dir = staging / "fp32"
        log(f"exporting {model.num_parameters() / 1e6:.2f}M parameters to ONNX (opset {request.opset})")
        export_graphs(model, fp32_dir, request.opset)
        reference, samples, verification = _verify_fp32(model, sp, fp32_dir, request, log)
        metadata = _metadata(request, payload, provenance, verification)
        write_model_dir(fp32_dir, "fp32", model.config, tokenizer, metadata, request.extras())
        final = fp32_dir
        if request.precision != "fp32":
            final = _make_variant(request, model.config, sp, tokenizer, metadata, fp32_dir, reference, samples,
                                  dev_scorer, log)
        elif request.verify_dev > 0:
            log("--verify-dev compares fp16/int8 with fp32; nothing to compare for an fp32 export")
        _publish(final, request.out, staging)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    files = {path.name: path.stat().st_size for path in sorted(request.out.iterdir())}
    log(f"wrote {request.out} ({sum(files.values()) / 1e6:.1f} MB) in {time.time() - started:.0f}s")
    return ExportReport(request.out, request.precision, verification["parity"], verification["greedy"],
                        verification.get("variant"), verification.get("dev"), files)
