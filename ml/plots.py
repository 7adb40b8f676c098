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
