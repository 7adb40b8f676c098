"""How a face crop becomes model input; kept free of Keras so web processes can read model cards."""

from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class InputSpec:
    """Stored in every model card."""

    size: int = 48  # the crop is resized to size x size before the model
    channels: int = 1  # 1: grey; 3: grey replicated to three channels

    def to_dict(self) -> dict:
        return asdict(self)
