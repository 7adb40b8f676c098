"""Training: data, targets, augmentation, architectures, the training loop, evaluation and export."""
