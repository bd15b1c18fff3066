"""End-to-end recipes: prepare -> tokenizer -> train -> punct-aware LoRA -> lexicon -> lexicon gate ->
punctuation model -> export -> policy tuning -> evaluate.

A recipe is a JSON file in training/recipes/ (one dataclass, unknown keys are errors). Every stage writes into
its own folder under the output directory and is skipped when its output exists, so a killed recipe resumes.
"""
from __future__ import annotations

import dataclasses
import json
import time
from dataclasses import dataclass, field
from pathlib import Path

from nahawi.errors import ConfigError
from training.config import check_keys

RECIPES = Path(__file__).parent / "recipes"


@dataclass(frozen=True)
class Recipe:
    name: str  # recipe name (file stem)
    prepare: dict = field(default_factory=dict)  # PrepareConfig fields
    tokenizer: dict = field(default_factory=dict)  # TokenizerConfig fields
    train: dict = field(default_factory=dict)  # TrainConfig fields of the base stage (model preset included)
    lora: dict = field(default_factory=dict)  # TrainConfig fields of the LoRA stage; {} skips it
    lora_mix: dict = field(default_factory=dict)  # {"others": N, "seed": S}: LoRA data = real pairs + N others
    lexicon_min_count: int = 2  # 0 skips the lexicon
    lexicon_gate: bool = False  # fit the lexicon gate (nahawi train lexicon-gate) for the lexicon
    punctuation_epochs: int = 0  # > 0: train the punctuation model (nahawi train punctuation) this long
    tune: dict = field(default_factory=dict)  # tune_policy keywords (max_false_alarms, ...); {} skips tuning
    export_precision: str = "int8"  # "" skips export and the engine evaluation
    eval_docs: int = 100  # leading QALB-2014 dev documents in eval.json

    @classmethod
    def load(cls, name_or_path: str, smoke: bool = False) -> Recipe:
        path = Path(name_or_path)
        if not path.suffix:
            path = RECIPES / f"{name_or_path}{'_smoke' if smoke else ''}.json"
        try:
            values = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as error:
            raise ConfigError(f"cannot read recipe {path}: {error}") from error
        check_keys(cls, values, f"recipe ({path})")
        return cls(**values)


class StageStopped(Exception):
    """A training stage stopped before its last step (SIGTERM): the recipe stops there, the stage not marked
    done, and the same command resumes it."""


def _stage(out: Path, name: str, log) -> bool:
    """True when the stage still has to run."""
    if (out / name / "DONE").exists():
        log(f"[{name}] done already, skipped")
        return False
    (out / name).mkdir(parents=True, exist_ok=True)
    log(f"[{name}] running")
    return True


def _done(out: Path, name: str) -> None:
    (out / name / "DONE").write_text(time.strftime("%Y-%m-%d %H:%M:%S\n"), encoding="utf-8")


def run_recipe(recipe: Recipe, out: Path, data_root: str | None = None, corpus_root: str | None = None,
               log=print) -> dict:
    from training.data.prepare import PrepareConfig, prepare, resolve_roots
    from training.tokenizer import TokenizerConfig, train_tokenizer

    data, corpus = resolve_roots(data_root, corpus_root)
    out.mkdir(parents=True, exist_ok=True)
    (out / "recipe.json").write_text(json.dumps(dataclasses.asdict(recipe), indent=2), encoding="utf-8")
    data_dir, spm_path = out / "data", out / "data" / "spm.model"
    if _stage(out, "data", log):
        prepare(data_dir, PrepareConfig.from_dict(recipe.prepare), data, corpus, log=log)
        # A warm start reads with the encoder's own pieces, a run continued from its snapshot with the run's.
        started_from = recipe.train.get("init_encoder") or recipe.train.get("init_checkpoint")
        if started_from:
            _copy_tokenizer_of(started_from, spm_path, log)
        else:
            files = [corpus / name for name in PrepareConfig.from_dict(recipe.prepare).corpus_files]
            train_tokenizer(data_dir, spm_path, TokenizerConfig(**recipe.tokenizer), [f for f in files if f.exists()])
        _done(out, "data")
    checkpoint = _train_stage(out, "base", recipe.train, data_dir, spm_path, data, "", log)
    if recipe.lora:
        lora_data = _lora_data_stage(out, recipe, data_dir, log)
        checkpoint = _train_stage(out, "lora", recipe.lora, lora_data, spm_path, data, str(checkpoint), log)
    lexicon = _lexicon_stage(out, recipe, corpus, log)
    gate = _gate_stage(out, recipe, data, lexicon, log)
    punctuation = _punctuation_stage(out, recipe, data, corpus, log)
    model_dir = _export_stage(out, recipe, checkpoint, spm_path, lexicon, punctuation, gate, log)
    if model_dir is not None and recipe.tune and _stage(out, "tune", log):
        from training.tune import tune_policy, write_policy

        tuned = tune_policy(model_dir, data, log=log, **recipe.tune)
        write_policy(model_dir, tuned["policy"], tuned.get("strict_policy"))
        _done(out, "tune")
    report = evaluate_recipe(checkpoint, spm_path, model_dir, data, recipe.eval_docs)
    report["recipe"] = recipe.name
    (out / "eval.json").write_text(json.dumps(report, indent=2, ensure_ascii=False), encoding="utf-8")
    log(f"wrote {out / 'eval.json'}")
    return report


def _copy_tokenizer_of(checkpoint: str, spm_path: Path, log) -> None:
    import shutil

    from training.warm_start import encoder_tokenizer

    tokenizer = encoder_tokenizer(checkpoint)
    if tokenizer is None:
        raise ConfigError(f"no tokenizer beside {checkpoint} (config.json's tokenizer or spm.model): a run started "
                          "from it reads with its pieces")
    shutil.copyfile(tokenizer, spm_path)
    log(f"tokenizer: {tokenizer} (the one {checkpoint} was trained with), copied to {spm_path}")


def _train_stage(out: Path, name: str, values: dict, data_dir: Path, spm_path: Path, data_root: Path,
                 init: str, log) -> Path:
    from training.evaluate import load_qalb14_dev
    from training.trainer import TrainConfig, Trainer

    folder = out / name
    if _stage(out, name, log):
        settings = dict(values, data_dir=str(data_dir), tokenizer=str(spm_path), out_dir=str(folder))
        if init:
            settings["init_checkpoint"] = init
        config = TrainConfig.from_dict(settings)
        model_config = None
        if init:
            from training.checkpoint import load_model

            model_config = load_model(init)[0].config
        state = Trainer(config, model_config=model_config, dev=load_qalb14_dev(data_root, config.eval_docs)).train()
        if state["step"] < config.max_steps:
            raise StageStopped(f"[{name}] stopped at step {state['step']} of {config.max_steps}; "
                               "the same command resumes the recipe there")
        _done(out, name)
    best = folder / "best.pt"
    return best if best.exists() else folder / "last.pt"


def _lexicon_stage(out: Path, recipe: Recipe, corpus_root: Path, log) -> Path | None:
    if recipe.lexicon_min_count <= 0:
        return None
    from nahawi.lexicon import save_lexicon
    from training.data.corpus_stream import hamza_seat_map
    from training.lexicon import build_lexicon

    path = out / "lexicon" / "lexicon.tsv.gz"
    if _stage(out, "lexicon", log):
        # clean corpus only (the lexicon ships in the package): the files the recipe's pairs are made from
        sources = sorted(_corpus_files(recipe, corpus_root))
        if recipe.prepare.get("corpus_sentences", 10**9) < 50_000:  # smoke: a slice of the corpus is enough
            sources = sources[-1:]
        save_lexicon(path, *build_lexicon(sources, recipe.lexicon_min_count, seats=hamza_seat_map(corpus_root)))
        _done(out, "lexicon")
    return path


def write_lora_mix(data_dir: Path, out: Path, others: int, seed: int = 7) -> tuple[int, int]:
    """The LoRA stage's data: every real pair (marks kept) plus a sample of `others` of the other pairs, so
    that punctuation, which only real pairs teach, is a larger share of what the adapter sees. Its
    manifest.json names the prepared data it was drawn from (that manifest's hash) and hashes its outputs."""
    import random
    import shutil

    from nahawi.model_dir import sha256_file

    real, rest = [], []
    with open(data_dir / "train.jsonl", encoding="utf-8") as handle:
        for line in handle:
            (real if json.loads(line)["origin"] == "real" else rest).append(line)
    rng = random.Random(seed)
    rows = real + rng.sample(rest, min(len(rest), others))
    rng.shuffle(rows)
    out.mkdir(parents=True, exist_ok=True)
    (out / "train.jsonl").write_text("".join(rows), encoding="utf-8")
    for name in ("dev.jsonl", "spm.model"):
        if (data_dir / name).exists():
            shutil.copyfile(data_dir / name, out / name)
    source = data_dir / "manifest.json"
    manifest = {"drawn_from": {"data_dir": str(data_dir), "manifest_sha256": sha256_file(source) if source.exists() else None},
                "counts": {"real": len(real), "others": len(rows) - len(real)}, "seed": seed,
                "outputs": {p.name: sha256_file(p) for p in sorted(out.iterdir()) if p.name != "manifest.json"}}
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return len(real), len(rows) - len(real)


def _lora_data_stage(out: Path, recipe: Recipe, data_dir: Path, log) -> Path:
    if not recipe.lora_mix:
        return data_dir
    folder = out / "lora_data"
    if _stage(out, "lora_data", log):
        real, others = write_lora_mix(data_dir, folder, recipe.lora_mix["others"], recipe.lora_mix.get("seed", 7))
        log(f"[lora_data] {real} real + {others} other pairs")
        _done(out, "lora_data")
    return folder


def _corpus_files(recipe: Recipe, corpus_root: Path) -> list[Path]:
    """The corpus files the recipe's pairs are made from (PrepareConfig.corpus_files), which its corpus
    stages count too: a recipe keeps reproducing when files are added to the corpus folder."""
    from training.data.prepare import PrepareConfig
    from training.lexicon import corpus_paths

    return corpus_paths(corpus_root, PrepareConfig.from_dict(recipe.prepare).corpus_files)


def _punctuation_stage(out: Path, recipe: Recipe, data_root: Path, corpus_root: Path, log) -> Path | None:
    if recipe.punctuation_epochs <= 0:
        return None
    from training.punctuation import PunctTrainConfig, train_punctuation

    path = out / "punctuation" / "punctuation.json.gz"
    if _stage(out, "punctuation", log):
        files = tuple(p.name for p in _corpus_files(recipe, corpus_root))
        summary = train_punctuation(path, data_root, corpus_root,
                                    PunctTrainConfig(epochs=recipe.punctuation_epochs, corpus_files=files))
        log(f"[punctuation] {json.dumps(summary, ensure_ascii=False)}")
        _done(out, "punctuation")
    return path


def _gate_stage(out: Path, recipe: Recipe, data_root: Path, lexicon: Path | None, log) -> Path | None:
    if not recipe.lexicon_gate or lexicon is None:
        return None
    from training.lexicon_gate import train_lexicon_gate

    path = out / "lexicon_gate" / "lexicon_gate.json"
    if _stage(out, "lexicon_gate", log):
        log(f"[lexicon_gate] {json.dumps(train_lexicon_gate(path, data_root, lexicon), ensure_ascii=False)}")
        _done(out, "lexicon_gate")
    return path


def _export_stage(out: Path, recipe: Recipe, checkpoint: Path, spm_path: Path, lexicon: Path | None,
                  punctuation: Path | None, gate: Path | None, log) -> Path | None:
    if not recipe.export_precision:
        return None
    from export.exporter import ExportRequest, export_model

    model_dir = out / "model"
    if not (model_dir / "model.json").exists():
        export_model(ExportRequest(checkpoint, model_dir, tokenizer=spm_path, precision=recipe.export_precision,
                                   lexicon=lexicon, punctuation=punctuation, lexicon_gate=gate,
                                   recipe=f"nahawi train recipe {recipe.name}"), log=log)
    return model_dir


def evaluate_recipe(checkpoint: Path, spm_path: Path, model_dir: Path | None, data_root: Path, docs: int) -> dict:
    """Dev P/R/F0.5 with and without punctuation: the torch model, and the exported engine (lexicon stage on)."""
    import sentencepiece as spm

    from training.checkpoint import load_model
    from training.evaluate import load_qalb14_dev, score_dev, score_dev_hypotheses

    dev = load_qalb14_dev(data_root, docs)
    model, _ = load_model(checkpoint)
    report = {"dev": "qalb14-dev", "documents": dev.limit, "checkpoint": str(checkpoint),
              "torch_greedy": score_dev(model, spm.SentencePieceProcessor(model_file=str(spm_path)), dev)}
    if model_dir is not None:
        from nahawi.engine import Corrector

        hypotheses = [c.corrected for c in Corrector.from_dir(model_dir, device="cpu").correct_batch(
            dev.sources[:dev.limit])]
        report["engine"] = {"model_dir": str(model_dir), **score_dev_hypotheses(hypotheses, dev)}
    return report
