"""`python -m ml.train --arch NAME --data PATH --out DIR`: train a classifier and write its card."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ml.training.architectures import ARCHITECTURES
from ml.training.augmentation import ROBUST, AugmentConfig
from ml.training.datasets import DatasetError, load
from ml.training.holdouts import holdout_file_of
from ml.training.labels import LabelFileError, check_votes_line_up, load_ferplus_votes
from ml.training.loop import TrainConfig, train


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m ml.train", description=__doc__)
    p.add_argument("--arch", required=True, choices=ARCHITECTURES)
    p.add_argument("--data", required=True, help="FER2013 CSV (.csv/.gz/.xz), image-folder root, or .npz(.xz)")
    p.add_argument("--usage", default="Training", help="CSV Usage value or folder split to train on (default Training)")
    p.add_argument("--out", required=True, help="model directory to write")
    p.add_argument("--name", help="model name in the card (default: the architecture)")
    p.add_argument("--epochs", type=int, default=30)
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--optimizer", choices=("adamw", "sgd"), default="adamw")
    p.add_argument("--lr", type=float, default=2e-3)
    p.add_argument("--weight-decay", type=float, default=1e-4)
    p.add_argument("--label-smoothing", type=float, default=0.1)
    p.add_argument("--val-fraction", type=float, default=0.1)
    p.add_argument("--budget-minutes", type=float, help="stop after this much training time (the schedule adapts)")
    p.add_argument("--input-size", type=int, help="side of the model input in pixels (default per architecture)")
    p.add_argument("--channels", type=int, choices=(1, 3))
    p.add_argument("--imagenet", action="store_true", help="start from ImageNet weights (needs internet)")
    p.add_argument("--mixed-precision", action="store_true", help="bfloat16 compute (GPU)")
    p.add_argument("--init-weights", help="model directory whose weights to start from (continue a run)")
    p.add_argument("--holdout-data", metavar="PATH",
                   help="hold out the faces that this file's split holds out (matched by pixels): the file the "
                        "--init-weights model was trained on, when --data is another copy of the same faces")
    p.add_argument("--workers", type=int, default=1, help="threads preparing batches")
    p.add_argument("--no-checkpoints", action="store_true",
                   help="no per-epoch resumable checkpoint; best weights written once at the end (GPU runs)")
    p.add_argument("--augment-on-device", action="store_true",
                   help="augment inside the compiled step (GPU runs; needs --no-checkpoints)")
    p.add_argument("--no-progress-bar", action="store_true", help="one line per epoch instead of a progress bar")
    p.add_argument("--ferplus", metavar="VOTES_CSV", help="FER+ votes for the same rows (ferplus_votes.csv)")
    p.add_argument("--ferplus-weight", type=float, default=0.5,
                   help="share of the FER+ vote distribution in each target (with --ferplus; default 0.5)")
    p.add_argument("--teacher", metavar="MODEL", help="distil from this model or ensemble (e.g. vgg16+fast)")
    p.add_argument("--teacher-weight", type=float, default=0.5, help="share of the teacher in each target")
    p.add_argument("--teacher-temperature", type=float, default=2.0, help="softens the teacher's probabilities")
    p.add_argument("--robust", action="store_true",
                   help="add contrast, blur, noise and JPEG damage to the augmentation (ml.training.augmentation)")
    p.add_argument("--limit", type=int, help="use only N randomly chosen faces (rehearsals)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--resume", action="store_true", help="continue from OUT/checkpoint if present")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.teacher:
        from ml.serving.registry import UnknownModelError, validate_name

        try:
            validate_name(args.teacher)
        except UnknownModelError as exc:
            print(f"error: --teacher: {exc}", file=sys.stderr)
            return 2
    try:
        data = load(args.data, args.usage if args.usage else None)
        if args.ferplus:
            # The .npz arrays hold the Training rows only (shared/datasets/fer2013/README.md).
            rows = args.usage or ("Training" if ".npz" in Path(args.data).suffixes else None)
            data = data.with_votes(load_ferplus_votes(args.ferplus, rows))
            check_votes_line_up(data.y, data.votes, args.ferplus)  # same count is not the same order
    except (DatasetError, LabelFileError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    problem = _holdout_problem(args)
    if problem:
        print(f"error: {problem}", file=sys.stderr)
        return 2
    if args.limit:  # a random subset: some files are sorted by class
        import numpy as np

        keep = np.sort(np.random.default_rng(args.seed).permutation(len(data))[: args.limit])
        data = data.subset(keep)
    try:
        cfg = TrainConfig(
            arch=args.arch, epochs=args.epochs, batch_size=args.batch_size, optimizer=args.optimizer,
            learning_rate=args.lr, weight_decay=args.weight_decay, label_smoothing=args.label_smoothing,
            val_fraction=args.val_fraction, budget_minutes=args.budget_minutes, seed=args.seed,
            input_size=args.input_size, channels=args.channels, imagenet=args.imagenet,
            mixed_precision=args.mixed_precision, init_weights=args.init_weights, workers=args.workers,
            holdout_data=args.holdout_data,
            checkpoints=not args.no_checkpoints, progress_bar=not args.no_progress_bar,
            augment_on_device=args.augment_on_device,
            ferplus_weight=args.ferplus_weight if args.ferplus else 0.0, teacher=args.teacher,
            teacher_weight=args.teacher_weight if args.teacher else 0.0, teacher_temperature=args.teacher_temperature,
            augment=ROBUST if args.robust else AugmentConfig(),
        )
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    card = train(cfg, data, args.out, data_source=f"{args.data} ({args.usage})", resume=args.resume, name=args.name)
    print(f"Wrote {args.out}: best validation accuracy {card.metrics['validation']['accuracy']:.4f} "
          f"at epoch {card.training['best_epoch']}.")
    return 0


def _holdout_problem(args: argparse.Namespace) -> str | None:
    """Why this run would validate on faces its starting weights trained on, if it would."""
    if not args.init_weights:
        return None
    from ml.model_card import ModelCard, ModelFileError

    try:
        card = ModelCard.load(Path(args.init_weights))
    except ModelFileError:
        return None  # a bare checkpoint: nothing recorded to check against
    parent = holdout_file_of(card.training, card.calibration or {})
    ours = Path(args.holdout_data or args.data).name
    if parent and parent != ours:
        return (f"{args.init_weights} held out the faces of {parent}'s split, and this run would hold out "
                f"{ours}'s: pass --holdout-data PATH/{parent} so it validates on faces those weights never saw")
    return None


if __name__ == "__main__":
    sys.exit(main())
