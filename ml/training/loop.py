"""Training loop for every architecture: augmentation, schedule, checkpoints, time budget, resume.

Keras 3 API only, so the same code runs on TensorFlow (CPU here) and JAX (GPU machines).
The learning rate follows a cosine curve over the *larger* of two progress measures: steps done
out of all planned steps, and wall-clock time used out of the budget. A run cut short by its
budget therefore still ends at a low learning rate instead of being stopped mid-schedule.
"""

from __future__ import annotations

import json
import math
import platform
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import keras
import numpy as np

from ml.emotions import NUM_CLASSES
from ml.faces import faces_to_input
from ml.model_card import WEIGHTS_FILE, ModelCard
from ml.training.architectures import InputSpec, build, default_input_spec
from ml.training.augmentation import AugmentConfig, augment_batch
from ml.training.datasets import Dataset
from ml.training.holdouts import split_run
from ml.training.labels import NO_MAJORITY, majority_labels, mix_targets

CHECKPOINT_DIR = "checkpoint"
RESUME_MODEL = "last.keras"
RESUME_STATE = "state.json"
LOG_FILE = "training_log.json"
TEACHER_FILE = "teacher.npy"
FERPLUS_SOURCE = "FER+ votes (Microsoft FERPlus, MIT licence), mapped as ml.training.labels says"


@dataclass
class TrainConfig:
    arch: str
    epochs: int = 30
    batch_size: int = 64
    optimizer: str = "adamw"  # adamw | sgd (Nesterov, momentum 0.9)
    learning_rate: float = 2e-3
    weight_decay: float = 1e-4
    label_smoothing: float = 0.1
    warmup_epochs: float = 1.0
    val_fraction: float = 0.1
    budget_minutes: float | None = None
    seed: int = 0
    input_size: int | None = None
    channels: int | None = None
    imagenet: bool = False
    mixed_precision: bool = False
    init_weights: str | None = None  # a model directory to start from (continuing an earlier run)
    # The file whose split holds the faces out (ml.training.holdouts): the one the init_weights model was
    # trained on, when it is another copy of the faces than the data, so its hold-out stays unseen.
    holdout_data: str | None = None
    # Soft targets (ml.training.labels): the share of the FER+ vote distribution in the label, and a
    # teacher (a registry model name, e.g. "vgg16+fast") whose flip-averaged probabilities are mixed in.
    ferplus_weight: float = 0.0
    teacher: str | None = None
    teacher_weight: float = 0.0
    teacher_temperature: float = 2.0
    workers: int = 1  # threads preparing batches (OpenCV releases the GIL)
    # A resumable checkpoint after every epoch (the whole model with its optimizer state) and the best
    # weights written as soon as they improve. Off on a GPU, where an epoch takes seconds and no run
    # is resumed: the best weights are then kept in memory and written once, at the end.
    checkpoints: bool = True
    progress_bar: bool = True  # off: one line per epoch (logs of runs side by side stay readable)
    # Augment inside the compiled training step (Keras random layers) instead of on the host: for GPUs,
    # where the host's NumPy/OpenCV augmentation cannot keep up. Needs checkpoints off.
    augment_on_device: bool = False
    augment: AugmentConfig = field(default_factory=AugmentConfig)

    def __post_init__(self) -> None:
        if self.augment_on_device and self.checkpoints:
            raise ValueError("on-device augmentation is for runs without resumable checkpoints (--no-checkpoints)")

    def input_spec(self) -> InputSpec:
        base = default_input_spec(self.arch)
        return InputSpec(self.input_size or base.size, self.channels or base.channels)


class FaceBatches(keras.utils.PyDataset):
    """Batches of (model input, target); shuffled and augmented when `augment` is set.

    Targets are the rows of `targets` (soft, from ml.training.labels) or else one-hot labels.
    """

    def __init__(self, data: Dataset, spec: InputSpec, batch_size: int, augment: AugmentConfig | None, seed: int,
                 workers: int = 1, shuffle: bool | None = None, targets: np.ndarray | None = None):
        super().__init__(workers=workers, use_multiprocessing=False)
        self.data, self.spec, self.batch_size, self.augment = data, spec, batch_size, augment
        self.targets = np.eye(NUM_CLASSES, dtype=np.float32)[data.y] if targets is None else targets
        self.shuffle = augment is not None if shuffle is None else shuffle
        self.seed, self.epoch = seed, 0
        self.rng = np.random.default_rng(seed)  # shuffling only, on the main thread
        self.order = np.arange(len(data))
        if self.shuffle:
            self.rng.shuffle(self.order)

    def __len__(self) -> int:
        return math.ceil(len(self.data) / self.batch_size)

    def __getitem__(self, index: int):
        idx = self.order[index * self.batch_size : (index + 1) * self.batch_size]
        faces = self.data.x[idx]
        if self.augment is not None:
            # One generator per batch: worker threads never share one, and runs are repeatable.
            faces = augment_batch(faces, np.random.default_rng((self.seed, self.epoch, index)), self.augment)
        return faces_to_input(faces, self.spec), self.targets[idx]

    def on_epoch_end(self) -> None:
        self.epoch += 1
        if self.shuffle:
            self.rng.shuffle(self.order)


class BudgetCosineSchedule(keras.callbacks.Callback):
    """Sets the learning rate per batch (warm-up, then cosine) and stops when the budget ends."""

    def __init__(self, base_lr: float, total_steps: int, warmup_steps: int, budget_s: float | None, clock: RunClock):
        super().__init__()
        self.base_lr, self.total_steps, self.warmup_steps = base_lr, total_steps, warmup_steps
        self.budget_s, self.clock = budget_s, clock
        self.step, self.current_lr = 0, base_lr

    def progress(self) -> float:
        done = self.step / max(1, self.total_steps)
        if self.budget_s:
            done = max(done, self.clock.elapsed() / self.budget_s)
        return min(1.0, done)

    def on_train_batch_begin(self, batch: int, logs=None) -> None:
        if self.step < self.warmup_steps:
            lr = self.base_lr * (self.step + 1) / self.warmup_steps
        else:
            lr = self.base_lr * 0.5 * (1.0 + math.cos(math.pi * self.progress()))
        self.model.optimizer.learning_rate.assign(lr)
        self.current_lr = lr
        self.step += 1

    def on_epoch_end(self, epoch: int, logs=None) -> None:
        if self.budget_s and self.clock.elapsed() >= self.budget_s:
            print(f"\nWall-clock budget of {self.budget_s / 60:.1f} min used: stopping after epoch {epoch + 1}.")
            self.model.stop_training = True


class FerPlusValidation(keras.callbacks.Callback):
    """Adds `val_ferplus_accuracy` (agreement with the FER+ majority) and `val_score` to the epoch logs.

    The score that picks the best epoch is the mean of the FER2013 and FER+ majority accuracies, so
    neither label set is traded away for the other. Runs before the checkpointing callback.
    """

    def __init__(self, batches: FaceBatches, majority: np.ndarray, weights_of: keras.Model):
        super().__init__()
        self.batches, self.majority, self.weights_of = batches, majority, weights_of
        self.known = majority != NO_MAJORITY

    def on_epoch_end(self, epoch: int, logs=None) -> None:
        if logs is None or not self.known.any():
            return
        predicted = np.concatenate([np.asarray(self.weights_of.predict_on_batch(self.batches[i][0]))
                                    for i in range(len(self.batches))]).argmax(axis=1)
        ferplus = float((predicted[self.known] == self.majority[self.known]).mean())
        logs["val_ferplus_accuracy"] = ferplus
        logs["val_score"] = (float(logs.get("val_accuracy", 0.0)) + ferplus) / 2.0


def teacher_probabilities(teacher: str, faces: np.ndarray, cache: Path) -> np.ndarray:
    """The teacher's flip-averaged probabilities for `faces`, kept in `cache` for resumed runs."""
    if cache.is_file():
        cached = np.load(cache)
        if cached.shape == (len(faces), NUM_CLASSES):
            return cached
    from ml.serving.registry import get_classifier

    classifier = get_classifier(teacher)
    started, parts = time.monotonic(), []
    for start in range(0, len(faces), 2048):
        parts.append(classifier.predict_proba(faces[start : start + 2048], flip=True))
        print(f"Teacher {teacher}: {start + len(parts[-1])}/{len(faces)} faces, {time.monotonic() - started:.0f} s",
              flush=True)
    probabilities = np.concatenate(parts).astype(np.float32)
    np.save(cache, probabilities)
    return probabilities


class RunClock:
    """Elapsed training time, carried across resumed runs."""

    def __init__(self, already: float = 0.0):
        self.already, self.started = already, time.monotonic()

    def elapsed(self) -> float:
        return self.already + time.monotonic() - self.started


class ProgressAndCheckpoints(keras.callbacks.Callback):
    """Progress bar (loss, accuracy, images/s); best weights; a resumable checkpoint per epoch."""

    def __init__(self, out: Path, steps: int, batch_size: int, clock: RunClock, history: list[dict], best: float,
                 schedule: BudgetCosineSchedule, checkpoints: bool = True, progress_bar: bool = True,
                 label: str = "", weights_of: keras.Model | None = None):
        super().__init__()
        self.weights_of = weights_of  # the model whose weights to keep, when fit runs a wrapper around it
        self.out, self.steps, self.batch_size, self.clock = out, steps, batch_size, clock
        self.schedule, self.checkpoints, self.progress_bar, self.label = schedule, checkpoints, progress_bar, label
        self.history, self.best = history, best
        self.best_weights: list | None = None

    def on_epoch_begin(self, epoch: int, logs=None) -> None:
        if self.progress_bar:
            print(f"Epoch {epoch + 1}/{self.params['epochs']}")
            self.bar = keras.utils.Progbar(self.steps, stateful_metrics=["loss", "accuracy", "img/s", "lr"])
        self.epoch_start, self.seen = time.monotonic(), 0

    def on_train_batch_end(self, batch: int, logs=None) -> None:
        self.seen += self.batch_size
        # Reading metrics forces a device sync: refresh the bar every 10 batches only.
        if not self.progress_bar or ((batch + 1) % 10 and batch + 1 != self.steps):
            return
        logs = logs or {}
        rate = self.seen / max(1e-9, time.monotonic() - self.epoch_start)
        lr = self.schedule.current_lr
        self.bar.update(
            batch + 1,
            [("loss", float(logs.get("loss", 0))), ("accuracy", float(logs.get("accuracy", 0))),
             ("img/s", rate), ("lr", lr)],
        )

    def on_epoch_end(self, epoch: int, logs=None) -> None:
        logs = {k: float(v) for k, v in (logs or {}).items()}
        seconds = time.monotonic() - self.epoch_start
        record = {
            "epoch": epoch + 1,
            "seconds": round(seconds, 1),
            "images_per_s": round(self.seen / seconds, 1),
            "elapsed_s": round(self.clock.elapsed(), 1),
            **{k: round(v, 4) for k, v in logs.items()},
        }
        self.history.append(record)
        val_acc = logs.get("val_score", logs.get("val_accuracy", -1.0))
        improved = val_acc > self.best
        if improved:
            self.best = val_acc
            if self.checkpoints:
                self.target.save_weights(self.out / WEIGHTS_FILE)
            else:
                self.best_weights = self.target.get_weights()
        if self.checkpoints:
            ckpt = self.out / CHECKPOINT_DIR
            ckpt.mkdir(exist_ok=True)
            self.model.save(ckpt / RESUME_MODEL)
            state = {"epoch": epoch + 1, "elapsed_s": self.clock.elapsed(), "best_val_accuracy": self.best,
                     "history": self.history}
            (ckpt / RESUME_STATE).write_text(json.dumps(state, indent=1))
        print(
            f"{self.label}epoch {epoch + 1}: loss {logs.get('loss', 0):.4f} accuracy {logs.get('accuracy', 0):.4f} "
            f"val_accuracy {logs.get('val_accuracy', -1):.4f}"
            + (f" val_ferplus {logs['val_ferplus_accuracy']:.4f}" if "val_ferplus_accuracy" in logs else "")
            + f" (best score {self.best:.4f}{', saved' if improved else ''}), "
            f"{record['images_per_s']} img/s, {seconds:.1f} s, lr {self.schedule.current_lr:.5f}"
        )

    @property
    def target(self) -> keras.Model:
        return self.weights_of or self.model

    def write_best_weights(self) -> None:
        """Write the in-memory best weights (runs without checkpoints)."""
        if self.best_weights is not None:
            self.target.set_weights(self.best_weights)
            self.target.save_weights(self.out / WEIGHTS_FILE)


def _optimizer(cfg: TrainConfig) -> keras.optimizers.Optimizer:
    if cfg.optimizer == "adamw":
        return keras.optimizers.AdamW(cfg.learning_rate, weight_decay=cfg.weight_decay)
    if cfg.optimizer == "sgd":
        return keras.optimizers.SGD(cfg.learning_rate, momentum=0.9, nesterov=True, weight_decay=cfg.weight_decay)
    raise ValueError(f"unknown optimizer {cfg.optimizer!r}; choose adamw or sgd")


def train(cfg: TrainConfig, data: Dataset, out: str | Path, *, data_source: str = "", resume: bool = False,
          name: str | None = None) -> ModelCard:
    """Train `cfg.arch` on `data`, writing weights, checkpoints, a log and the card under `out`."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    keras.utils.set_random_seed(cfg.seed)
    if cfg.mixed_precision:
        keras.mixed_precision.set_global_policy("mixed_bfloat16")
    spec = cfg.input_spec()
    train_set, val_set = split_run(data, cfg.val_fraction, cfg.seed, cfg.holdout_data)
    teacher = None
    if cfg.teacher and cfg.teacher_weight > 0:
        teacher = teacher_probabilities(cfg.teacher, train_set.x, out / TEACHER_FILE)
        agreement = (teacher.argmax(1) == train_set.y).mean()
        print(f"Teacher {cfg.teacher} agrees with the training labels on {agreement:.1%}.")
    targets = mix_targets(train_set.y, train_set.votes, ferplus_weight=cfg.ferplus_weight, teacher=teacher,
                          teacher_weight=cfg.teacher_weight, temperature=cfg.teacher_temperature)
    host_augment = None if cfg.augment_on_device else cfg.augment
    batches = FaceBatches(train_set, spec, cfg.batch_size, host_augment, cfg.seed, cfg.workers, shuffle=True,
                          targets=targets)
    val_batches = FaceBatches(val_set, spec, 256, None, cfg.seed)

    state_path = out / CHECKPOINT_DIR / RESUME_STATE
    if resume and state_path.is_file():
        state = json.loads(state_path.read_text())
        model = fit_model = keras.saving.load_model(out / CHECKPOINT_DIR / RESUME_MODEL)
        start_epoch, history, best = state["epoch"], state["history"], state["best_val_accuracy"]
        clock = RunClock(state["elapsed_s"])
        print(f"Resuming after epoch {start_epoch} (best val_accuracy {best:.4f}).")
    else:
        model = build(cfg.arch, spec, imagenet=cfg.imagenet)
        if cfg.init_weights:
            from ml.serving.classifiers import load_model_weights

            load_model_weights(model, Path(cfg.init_weights))
            print(f"Starting from the weights in {cfg.init_weights}.")
        fit_model = model
        if cfg.augment_on_device:
            from ml.training.device_augment import DeviceAugment

            augment = DeviceAugment(cfg.augment, seed=cfg.seed, equalize=spec.normalisation == "equalize")
            fit_model = keras.Sequential([keras.Input((spec.size, spec.size, spec.channels)), augment, model],
                                         name=f"{cfg.arch}_training")
        fit_model.compile(
            optimizer=_optimizer(cfg),
            loss=keras.losses.CategoricalCrossentropy(label_smoothing=cfg.label_smoothing),
            metrics=["accuracy"],
            # TensorFlow's XLA cannot compile its image transform op; JAX (the GPU path) compiles it.
            jit_compile=not (cfg.augment_on_device and keras.config.backend() == "tensorflow"),
        )
        start_epoch, history, best, clock = 0, [], -1.0, RunClock()

    steps = len(batches)
    schedule = BudgetCosineSchedule(
        cfg.learning_rate, steps * cfg.epochs, int(cfg.warmup_epochs * steps),
        cfg.budget_minutes * 60 if cfg.budget_minutes else None, clock,
    )
    schedule.step = start_epoch * steps
    progress = ProgressAndCheckpoints(out, steps, cfg.batch_size, clock, history, best, schedule,
                                      checkpoints=cfg.checkpoints, progress_bar=cfg.progress_bar,
                                      label="" if cfg.progress_bar else f"{cfg.arch} ", weights_of=model)
    print(f"Training {cfg.arch} ({model.count_params():,} parameters) on {len(train_set)} faces, "
          f"validating on {len(val_set)}; backend {keras.config.backend()}.")
    callbacks: list[keras.callbacks.Callback] = [schedule]
    if val_set.votes is not None:
        callbacks.append(FerPlusValidation(val_batches, majority_labels(val_set.votes), model))
    callbacks.append(progress)
    if start_epoch < cfg.epochs:
        fit_model.fit(batches, validation_data=val_batches, epochs=cfg.epochs, initial_epoch=start_epoch,
                      callbacks=callbacks, verbose=0)
        progress.write_best_weights()

    best_epoch = max(history, key=lambda r: r.get("val_score", r.get("val_accuracy", -1)))
    train_seconds = sum(r["seconds"] for r in history)
    card = ModelCard(
        name=name or cfg.arch,
        arch=cfg.arch,
        input=spec,
        training={
            "data": data_source,
            "train_faces": len(train_set),
            "validation_faces": len(val_set),
            "class_counts": data.class_counts(),
            "epochs_run": len(history),
            "best_epoch": best_epoch["epoch"],
            "parameters": model.count_params(),
            "seconds": round(train_seconds, 1),
            "images_per_s": round(len(history) and len(train_set) * len(history) / max(train_seconds, 1e-9), 1),
            "device": platform.processor() or platform.machine(),
            "keras": keras.__version__,
            "backend": keras.config.backend(),
            "recipe": {k: v for k, v in asdict(cfg).items() if k != "augment"} | {"augment": asdict(cfg.augment)},
        },
        metrics={"validation": {"accuracy": best_epoch.get("val_accuracy"), "faces": len(val_set)}
                 | ({"ferplus_majority_accuracy": best_epoch["val_ferplus_accuracy"]}
                    if "val_ferplus_accuracy" in best_epoch else {})},
    )
    if cfg.ferplus_weight > 0 or teacher is not None:
        card.training["labels"] = {
            "ferplus": FERPLUS_SOURCE if cfg.ferplus_weight else None,
            "ferplus_weight": cfg.ferplus_weight,
            "teacher": cfg.teacher,
            "teacher_weight": cfg.teacher_weight,
            "teacher_temperature": cfg.teacher_temperature,
        }
    (out / LOG_FILE).write_text(json.dumps(history, indent=1))
    card.save(out)
    return card
