"""How a face crop becomes model input; kept free of Keras so web processes can read model cards."""

from __future__ import annotations

from dataclasses import asdict, dataclass

NORMALISATIONS = ("equalize", "none")


@dataclass(frozen=True)
class InputSpec:
    """Stored in every model card."""

    size: int = 48  # the crop is resized to size x size before the model
    channels: int = 1  # 1: grey; 3: grey replicated to three channels
    # Every shipped model learnt histogram-equalised faces (see ml.faces), so that is the default.
    normalisation: str = "equalize"

    def __post_init__(self) -> None:
        if self.normalisation not in NORMALISATIONS:
            raise ValueError(f"unknown normalisation {self.normalisation!r}; choose one of {', '.join(NORMALISATIONS)}")

    def to_dict(self) -> dict:
        return asdict(self)
