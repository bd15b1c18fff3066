"""`nahawi train model|lora|recipe`: thin commands over training.trainer and training.recipe (torch needed)."""
from __future__ import annotations

import json
from pathlib import Path

import typer

from nahawi.cli import EXIT_INTERRUPTED
from nahawi.cli.train import app
from nahawi.errors import ConfigError, MissingExtraError


def _require_torch() -> None:
    try:
        import torch  # noqa: F401
    except ImportError as error:
        raise MissingExtraError("train", "torch") from error


def _train_config(config_file: Path | None, overrides: dict):
    from training.trainer import TrainConfig

    values = json.loads(config_file.read_text(encoding="utf-8")) if config_file else {}
    values = values.get("train", values)
    values.update({k: v for k, v in overrides.items() if v is not None})
    return TrainConfig.from_dict(values)


@app.command("model")
def train_model(
    config: Path = typer.Option(None, help="TrainConfig JSON (fields of training.trainer.TrainConfig)"),
    data: str = typer.Option(None, help="folder with train.jsonl from `nahawi train prepare`"),
    tokenizer: str = typer.Option(None, help="SentencePiece model"),
    out: str = typer.Option(None, help="run folder (checkpoints, train.log); an existing run resumes"),
    model: str = typer.Option(None, help="model preset: tiny | base | test"),
    max_steps: int = typer.Option(None, help="optimiser steps"),
    threads: int = typer.Option(None, help="torch CPU threads"),
    device: str = typer.Option(None, help="auto | cpu | cuda"),
    data_root: str = typer.Option("../shared/data", help="for QALB-2014 dev evaluation"),
) -> None:
    """Train a seq2seq model from scratch (or from --config's init_checkpoint); resumes an existing run."""
    _require_torch()
    from training.trainer import Trainer

    train_config = _train_config(config, dict(data_dir=data, tokenizer=tokenizer, out_dir=out, model=model,
                                              max_steps=max_steps, threads=threads, device=device))
    dev = _dev_or_none(data_root, train_config.eval_docs)
    state = Trainer(train_config, dev=dev).train()
    typer.echo(f"finished at step {state['step']}; best dev F0.5 {state['best']:.4f}")


@app.command("lora")
def train_lora(
    base: str = typer.Option(..., help="base checkpoint (ours or the original system's)"),
    config: Path = typer.Option(None, help="TrainConfig JSON"),
    data: str = typer.Option(None, help="folder with punct-aware train.jsonl"),
    tokenizer: str = typer.Option(None, help="SentencePiece model"),
    out: str = typer.Option(None, help="run folder"),
    rank: int = typer.Option(64, help="LoRA rank"),
    alpha: float = typer.Option(128.0, help="LoRA alpha (scaling = alpha / rank)"),
    dropout: float = typer.Option(0.05, help="LoRA dropout"),
    max_steps: int = typer.Option(None, help="optimiser steps"),
    lr: float = typer.Option(None, help="peak learning rate"),
    threads: int = typer.Option(None, help="torch CPU threads"),
    data_root: str = typer.Option("../shared/data", help="for QALB-2014 dev evaluation"),
) -> None:
    """Punct-aware LoRA fine-tuning of a base checkpoint (out_proj, linear1, linear2)."""
    _require_torch()
    from training.checkpoint import load_model
    from training.trainer import Trainer

    if rank <= 0:
        raise ConfigError(f"--rank must be positive, got {rank}")
    base_model, _ = load_model(base)
    train_config = _train_config(config, dict(data_dir=data, tokenizer=tokenizer, out_dir=out, init_checkpoint=base,
                                              lora_rank=rank, lora_alpha=alpha, lora_dropout=dropout,
                                              max_steps=max_steps, lr=lr, threads=threads))
    dev = _dev_or_none(data_root, train_config.eval_docs)
    state = Trainer(train_config, model_config=base_model.config, dev=dev).train()
    typer.echo(f"finished at step {state['step']}; best dev F0.5 {state['best']:.4f}")


def _dev_or_none(data_root: str, limit: int):
    from training.evaluate import load_qalb14_dev

    try:
        return load_qalb14_dev(data_root, limit)
    except FileNotFoundError:
        typer.echo(f"QALB-2014 dev not found under {data_root}: training without dev evaluation", err=True)
        return None


@app.command("mix")
def train_mix(
    data: Path = typer.Option(..., help="folder with train.jsonl from `nahawi train prepare`"),
    out: Path = typer.Option(..., help="output folder (train.jsonl, dev.jsonl and spm.model when present)"),
    others: int = typer.Option(48_000, help="non-real pairs sampled next to every real pair"),
    seed: int = typer.Option(7, help="sampling seed"),
) -> None:
    """The punct-aware LoRA stage's data: all real pairs (marks kept) plus a sample of the others."""
    from training.recipe import write_lora_mix

    real, sampled = write_lora_mix(data, out, others, seed)
    typer.echo(f"{real} real + {sampled} other pairs -> {out / 'train.jsonl'}")


@app.command("punctuation")
def train_punctuation(
    out: Path = typer.Option(..., help="output .json.gz (shipped in the model directory as punctuation.json.gz)"),
    data_root: Path = typer.Option(Path("../shared/data"), help="GEC data root (QALB-2015 train, ZAEBUC train)"),
    corpus_root: Path = typer.Option(Path("../shared/corpus"), help="clean corpus folder (*.txt.gz), for priors"),
    epochs: int = typer.Option(12, help="passes over the training gaps"),
    threshold: float = typer.Option(0.8, help="least probability of a proposed mark (tune-policy re-tunes it)"),
    files: str = typer.Option("", help="comma-separated corpus file names for the priors (default: every *.txt.gz)"),
) -> None:
    """Train the punctuation model on the real train pairs (marks kept) with clean-corpus priors."""
    _require_torch()
    from training.punctuation import PunctTrainConfig
    from training.punctuation import train_punctuation as train

    names = tuple(name.strip() for name in files.split(",") if name.strip())
    summary = train(out, data_root, corpus_root, PunctTrainConfig(epochs=epochs, corpus_files=names), threshold)
    typer.echo(json.dumps(summary, ensure_ascii=False))


@app.command("lexicon-gate")
def train_lexicon_gate(
    out: Path = typer.Option(..., help="output .json (shipped in the model directory as lexicon_gate.json)"),
    lexicon: Path = typer.Option(..., help="the lexicon.tsv.gz that ships beside the gate"),
    data_root: Path = typer.Option(Path("../shared/data"), help="GEC data root (QALB-2015 train, ZAEBUC train)"),
    supplies: bool = typer.Option(False, help="also weigh what a repair supplies (a ذ, a ء, the alif of «وا»)"),
) -> None:
    """Fit the check on lexicon suggestions on the real train pairs (never a dev or test split)."""
    _require_torch()
    from training.lexicon_gate import GateTrainConfig
    from training.lexicon_gate import train_lexicon_gate as train

    typer.echo(json.dumps(train(out, data_root, lexicon, GateTrainConfig(supplies=supplies)), ensure_ascii=False))


@app.command("lexicon")
def train_lexicon(
    out: Path = typer.Option(..., help="output .tsv.gz (shipped in the model directory as lexicon.tsv.gz)"),
    corpus_root: Path = typer.Option(Path("../shared/corpus"), help="clean corpus folder (*.txt.gz)"),
    min_count: int = typer.Option(2, help="drop words (and bigrams) seen fewer times"),
    bigrams: bool = typer.Option(True, help="also count the neighbours of words with other spellings"),
    files: str = typer.Option("", help="comma-separated corpus file names (default: every *.txt.gz there)"),
    news_hamza_seats: bool = typer.Option(True, help="count the books' Cairo hamza seats (مسئول) in the news' "
                                                     "form (مسؤول), as the benchmarks write them"),
) -> None:
    """Count words of the clean corpus only: the lexicon ships in the package, so no GEC data goes into it."""
    from nahawi.lexicon import save_lexicon
    from training.data.corpus_stream import hamza_seat_map
    from training.lexicon import build_lexicon, corpus_paths

    paths = corpus_paths(corpus_root, (name.strip() for name in files.split(",")))
    seats = hamza_seat_map(corpus_root) if news_hamza_seats else {}
    counts, pairs = build_lexicon(paths, min_count, bigrams, seats)
    out.parent.mkdir(parents=True, exist_ok=True)
    save_lexicon(out, counts, pairs)
    typer.echo(f"{len(counts)} words and {len(pairs)} bigrams from {len(paths)} files -> {out} "
               f"({out.stat().st_size / 1e6:.1f} MB)")


@app.command("recipe")
def train_recipe(
    name: str = typer.Argument(..., help="recipe name in training/recipes (tiny, base) or a JSON path"),
    out: Path = typer.Option(..., help="output folder; stages already done there are skipped"),
    smoke: bool = typer.Option(False, help="the small CPU slice of the recipe (minutes; what CI runs)"),
    data_root: str = typer.Option(None, help="QALB/ZAEBUC root [env NAHAWI_DATA_ROOT, default ../shared/data]"),
    corpus_root: str = typer.Option(None, help="clean corpus root [env NAHAWI_CORPUS_ROOT, default ../shared/corpus]"),
) -> None:
    """prepare -> tokenizer -> train -> LoRA -> lexicon -> export -> evaluate; writes OUT/eval.json."""
    _require_torch()
    from training.recipe import Recipe, StageStopped, run_recipe

    try:
        report = run_recipe(Recipe.load(name, smoke), out, data_root, corpus_root, log=typer.echo)
    except StageStopped as stopped:
        typer.echo(str(stopped), err=True)
        raise typer.Exit(EXIT_INTERRUPTED) from None
    typer.echo(json.dumps(report, indent=2, ensure_ascii=False))


@app.command("tune-policy")
def train_tune_policy(
    model: Path = typer.Option(..., help="exported model directory"),
    docs: int = typer.Option(None, help="leading QALB-2014 dev documents (default: all 1,017)"),
    data_root: Path = typer.Option(Path("../shared/data"), help="QALB/ZAEBUC root"),
    write: bool = typer.Option(False, help="record the best policy in MODEL/model.json"),
    max_false_alarms: float = typer.Option(None, help="most edited words per 1,000 words of correct text (the dev "
                                           "set's corrected side; default 2.0, the learner policy's 3.0)"),
    strict_false_alarms: float = typer.Option(None, help="also tune a strict policy (`nahawi correct --strict`) "
                                              "within this many false alarms per 1,000 words"),
    learner: bool = typer.Option(False, help="tune the learner policy instead (`nahawi correct --learner`): the "
                                 "policy's corpus stages kept, the seq2seq's edits chosen on QALB-2015 dev within "
                                 "--max-false-alarms (default for it 3.0) on its corrected side"),
) -> None:
    """Pick the stages' settings (model edit kinds and confidence, lexicon ratio, punctuation threshold) that
    maximise dev F0.5 within a false-alarm budget (never the test split)."""
    from training.tune import LEARNER_BUDGET, tune_learner_policy, tune_policy, write_policy

    if learner:
        budget = LEARNER_BUDGET if max_false_alarms is None else max_false_alarms
        result = tune_learner_policy(model, data_root, docs, budget, log=typer.echo)
    else:
        result = tune_policy(model, data_root, docs, 2.0 if max_false_alarms is None else max_false_alarms,
                             log=typer.echo, strict_false_alarms=strict_false_alarms)
    typer.echo(json.dumps({k: v for k, v in result.items() if k != "grid"}, ensure_ascii=False))
    if write and learner:
        write_policy(model, None, learner_policy=result["policy"])
        typer.echo(f"learner policy written to {model / 'model.json'}")
    elif write:
        write_policy(model, result["policy"], result.get("strict_policy"))
        typer.echo(f"policy written to {model / 'model.json'}")


@app.command("pretrain")
def train_pretrain(
    out: str = typer.Option("runs/encoder", help="run folder (tokenizer, stream cache, checkpoints, train.log); "
                                                  "an existing run resumes"),
    config: Path = typer.Option(None, help="PretrainConfig JSON (fields of training.pretrain.PretrainConfig)"),
    model: str = typer.Option(None, help="model preset: encoder-small | encoder-medium | test"),
    max_steps: int = typer.Option(None, help="stop after this many steps"),
    threads: int = typer.Option(None, help="torch CPU threads (one leaves the other core free)"),
    corpus_root: str = typer.Option(None, help="clean corpus root [env NAHAWI_CORPUS_ROOT, default ../shared/corpus]"),
) -> None:
    """Pretrain the Arabic encoder (whole-word masked LM on the clean corpus); resumable, logs tokens/s and loss."""
    _require_torch()
    from training.data.prepare import resolve_roots
    from training.pretrain import PretrainConfig, Pretrainer
    from training.trainer import Logger

    values = json.loads(config.read_text(encoding="utf-8")) if config else {}
    values.update({k: v for k, v in dict(out_dir=out, model=model, max_steps=max_steps, threads=threads).items()
                   if v is not None})
    pretrain_config = PretrainConfig.from_dict(values)
    _, corpus = resolve_roots(None, corpus_root)
    Path(pretrain_config.out_dir).mkdir(parents=True, exist_ok=True)
    log = Logger(Path(pretrain_config.out_dir) / "train.log", 0)
    state = Pretrainer(pretrain_config, corpus, log).train()
    typer.echo(f"stopped at step {state['step']} ({state['tokens']:,} pieces seen)")


@app.command("tagger")
def train_tagger(
    out: str = typer.Option("runs/tagger", help="run folder (example cache, checkpoints, train.log, tagger.pt); "
                                                "an existing run resumes"),
    config: Path = typer.Option(None, help="TaggerConfig JSON (fields of training.tagger.TaggerConfig)"),
    train_file: str = typer.Option(None, "--train", help="prepared train.jsonl (`nahawi train prepare`)"),
    encoder: str = typer.Option(None, help="pretrained encoder.pt ('' = random init)"),
    tokenizer: str = typer.Option(None, help="the encoder's SentencePiece model"),
    max_steps: int = typer.Option(None, help="stop after this many steps"),
    threads: int = typer.Option(None, help="torch CPU threads"),
    data_root: str = typer.Option(None, help="QALB/ZAEBUC root for the dev evaluation [default ../shared/data]"),
) -> None:
    """Fine-tune the edit tagger (word tag + mark per word) on the pretrained encoder; resumable, scores dev."""
    _require_torch()
    from training.tagger import TaggerConfig, TaggerTrainer
    from training.trainer import Logger

    values = json.loads(config.read_text(encoding="utf-8")) if config else {}
    values.update({k: v for k, v in dict(out_dir=out, train=train_file, encoder=encoder, tokenizer=tokenizer,
                                         max_steps=max_steps, threads=threads, data_root=data_root).items()
                   if v is not None})
    tagger_config = TaggerConfig.from_dict(values)
    Path(tagger_config.out_dir).mkdir(parents=True, exist_ok=True)
    log = Logger(Path(tagger_config.out_dir) / "train.log", 0)
    state = TaggerTrainer(tagger_config, log).train()
    best = state["best"]
    typer.echo(f"stopped at step {state['step']}; best dev {json.dumps(best, ensure_ascii=False) if best else 'none'}")


@app.command("score-tagger")
def train_score_tagger(
    checkpoint: Path = typer.Option(..., help="tagger checkpoint (tagger.pt or a training last.pt)"),
    docs: int = typer.Option(400, help="leading QALB-2014 dev documents (all: 1017)"),
    data_root: Path = typer.Option(Path("../shared/data"), help="QALB/ZAEBUC root"),
    threads: int = typer.Option(1, help="torch CPU threads"),
) -> None:
    """The tagger alone on QALB-2014 dev (never a test split): the threshold sweep and a second pass, as the
    training run scores it."""
    _require_torch()
    import sentencepiece as spm
    import torch

    from training.evaluate import load_qalb14_dev
    from training.tagger import TokenTagger, evaluate_on_dev, load_tagger

    torch.set_num_threads(threads)
    model, vocab, payload = load_tagger(checkpoint)
    sp = spm.SentencePieceProcessor(model_file=payload["tokenizer"])
    scores = evaluate_on_dev(TokenTagger(model, sp, vocab), load_qalb14_dev(data_root, docs), log=typer.echo)
    typer.echo(json.dumps({k: scores[k] for k in ("policy", "with_punct", "no_punct", "two_passes")}))


@app.command("score-model")
def train_score_model(
    checkpoint: list[Path] = typer.Option(..., help="seq2seq checkpoint(s): a run's last.pt or best.pt, or a "
                                                   "snapshot's model.pt (repeat the option for several)"),
    tokenizer: Path = typer.Option(None, help="SentencePiece model (default: the one the run trained with, or "
                                              "spm.model beside the checkpoint)"),
    docs: int = typer.Option(120, help="leading QALB-2014 dev documents (all: 1017)"),
    data_root: Path = typer.Option(Path("../shared/data"), help="QALB/ZAEBUC root"),
    threads: int = typer.Option(1, help="torch CPU threads"),
) -> None:
    """A seq2seq checkpoint alone on QALB-2014 dev (never a test split), as its training run scores it (torch,
    greedy): F0.5 with and without punctuation, one JSON line a checkpoint."""
    _require_torch()
    import time

    import sentencepiece as spm
    import torch

    from training.checkpoint import load_model
    from training.evaluate import load_qalb14_dev, score_dev

    torch.set_num_threads(threads)
    dev = load_qalb14_dev(data_root, docs)
    for path in checkpoint:
        started = time.perf_counter()
        model, payload = load_model(path)
        sp = spm.SentencePieceProcessor(model_file=str(_checkpoint_tokenizer(path, payload, tokenizer)))
        with torch.no_grad():
            scores = score_dev(model.eval(), sp, dev)
        step = payload.get("trainer_state", {}).get("step", payload.get("step"))
        typer.echo(json.dumps({"checkpoint": str(path), "step": step, "documents": dev.limit,
                               **{name: {key: round(100 * value[key], 2) for key in ("precision", "recall", "f0.5")}
                                  for name, value in scores.items()},
                               "seconds": round(time.perf_counter() - started, 1)}))


def _checkpoint_tokenizer(path: Path, payload: dict, given: Path | None) -> Path:
    candidates = [given] if given else [Path(path).parent / "spm.model",
                                        Path(str(payload.get("train_config", {}).get("tokenizer") or ""))]
    for candidate in candidates:
        if candidate and candidate.is_file():
            return candidate
    raise ConfigError(f"no tokenizer found for {path}: pass --tokenizer")
