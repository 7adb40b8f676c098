"""Figures written as PNG files (matplotlib, imported only when a plot is asked for)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ml.emotions import EMOTIONS


def plot_confusion(confusion: list[list[int]], path: str | Path, title: str) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    counts = np.array(confusion)
    rows = counts / np.maximum(counts.sum(axis=1, keepdims=True), 1)
    fig, ax = plt.subplots(figsize=(6.4, 5.6), dpi=120)
    image = ax.imshow(rows, cmap="Blues", vmin=0, vmax=1)
    ax.set_xticks(range(len(EMOTIONS)), EMOTIONS, rotation=45, ha="right")
    ax.set_yticks(range(len(EMOTIONS)), EMOTIONS)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title(title)
    for i in range(len(EMOTIONS)):
        for j in range(len(EMOTIONS)):
            ax.text(j, i, f"{rows[i, j]:.2f}\n({counts[i, j]})", ha="center", va="center", fontsize=7,
                    color="white" if rows[i, j] > 0.5 else "black")
    fig.colorbar(image, ax=ax, label="share of the true class")
    fig.tight_layout()
    path = Path(path)
    fig.savefig(path)
    plt.close(fig)
    return path


def plot_training_curves(logs: dict[str, list[dict]], path: str | Path) -> Path:
    """Training and validation accuracy per epoch against training time, one colour per model."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7.2, 4.4), dpi=120)
    for (name, log), colour in zip(logs.items(), plt.rcParams["axes.prop_cycle"].by_key()["color"], strict=False):
        minutes = [r["elapsed_s"] / 60 for r in log]
        ax.plot(minutes, [r["val_accuracy"] for r in log], color=colour, label=f"{name} validation")
        ax.plot(minutes, [r["accuracy"] for r in log], color=colour, linestyle=":", label=f"{name} training")
        best = max(log, key=lambda r: r["val_accuracy"])
        ax.annotate(f"{best['val_accuracy']:.1%} (epoch {best['epoch']})",
                    (best["elapsed_s"] / 60, best["val_accuracy"]), textcoords="offset points", xytext=(-10, 8),
                    ha="right", fontsize=8, color=colour)
    ax.set_xlabel("training time (minutes, compilation included)")
    ax.set_ylabel("accuracy")
    ax.set_ylim(0, 1)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="lower right")
    fig.tight_layout()
    path = Path(path)
    fig.savefig(path)
    plt.close(fig)
    return path
