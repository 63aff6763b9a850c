"""The tutorial's autoencoder chapter: a fully connected autoencoder, its
training over a seeded ``DataLoader`` and latent-feature extraction.

Default sizes are the tutorial's: encoder ``784 -> 512 -> 256 -> 128`` (ReLU
between layers), decoder ``128 -> 256 -> 512 -> 784`` ending in a Sigmoid, so
reconstructions lie in [0, 1] like the inputs must.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from sklearn.model_selection import train_test_split
from torch import nn
from torch.utils.data import DataLoader

from boardgym.pipelines import plotting
from boardgym.pipelines.datasets import digits_28x28
from boardgym.pipelines.results import ChapterResult
from boardgym.pipelines.training import (build_mlp, check_seed, evaluating, loader_shuffles, make_loader,
                                         seeded, torch_threads, train)


class Autoencoder(nn.Module):
    """``forward(x) -> (reconstruction, latent)`` for flat inputs ``(B, input_size)``."""

    def __init__(self, input_size: int = 784, hidden_sizes=(512, 256), latent_size: int = 128):
        super().__init__()
        self.input_size, self.latent_size = int(input_size), int(latent_size)
        self.hidden_sizes = tuple(int(h) for h in hidden_sizes)
        self.encoder = build_mlp(self.input_size, self.hidden_sizes, self.latent_size)
        self.decoder = nn.Sequential(*build_mlp(self.latent_size, self.hidden_sizes[::-1], self.input_size),
                                     nn.Sigmoid())

    def config(self) -> dict:
        """Constructor arguments as plain values (to rebuild from a checkpoint)."""
        return {"input_size": self.input_size, "hidden_sizes": list(self.hidden_sizes),
                "latent_size": self.latent_size}

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        latent = self.encoder(x)
        return self.decoder(latent), latent


def check_unit_range(images: np.ndarray, name: str = "images") -> np.ndarray:
    """``images`` flattened to float32 ``(N, pixels)``, or a ValueError when a
    value lies outside [0, 1] (the Sigmoid decoder cannot reconstruct it)."""
    flat = np.asarray(images, dtype=np.float32).reshape(len(images), -1)
    if flat.size == 0:
        raise ValueError(f"{name} is empty")
    low, high = float(flat.min()), float(flat.max())
    if not (0.0 <= low and high <= 1.0):  # also catches NaN
        raise ValueError(f"{name} must be scaled to [0, 1]; values run from {low} to {high}")
    return flat


def make_image_loader(images: np.ndarray, batch_size: int = 64, shuffle: bool = True, seed: int = 0,
                      num_workers: int = 0) -> DataLoader:
    """A loader of flattened images in [0, 1], shuffled by a seeded generator,
    workers seeded per worker (:func:`training.seed_worker`)."""
    return make_loader(check_unit_range(images), batch_size=batch_size, shuffle=shuffle, seed=seed,
                       num_workers=num_workers)


def _reconstruct(model: nn.Module, batch):
    (inputs,) = batch
    reconstruction, _ = model(inputs)
    return reconstruction, inputs


def train_autoencoder(model: Autoencoder, loader: DataLoader, epochs: int = 20, lr: float = 1e-3) -> list[float]:
    """MSE reconstruction training with Adam; each epoch's mean loss."""
    return train(model, loader, _reconstruct, nn.MSELoss(), epochs=epochs, lr=lr)


def fit_autoencoder(images: np.ndarray, *, latent_size: int = 128, hidden_sizes=(512, 256), epochs: int = 20,
                    lr: float = 1e-3, batch_size: int = 64, seed: int = 0,
                    num_workers: int = 0) -> tuple[Autoencoder, list[float]]:
    """A seeded autoencoder sized for ``images`` (N, ...) and trained on them:
    ``(model, per-epoch losses)``."""
    flat = check_unit_range(images)
    with seeded(seed):
        model = Autoencoder(flat.shape[1], hidden_sizes, latent_size)
    loader = make_loader(flat, batch_size=batch_size, shuffle=True, seed=seed, num_workers=num_workers)
    return model, train_autoencoder(model, loader, epochs, lr)


def extract_latent_features(model: Autoencoder, loader: DataLoader) -> np.ndarray:
    """The latent vectors ``(N, latent_size)`` of the loader's inputs, in the
    loader's order, computed batch by batch in eval mode without gradients;
    the model's train/eval mode is restored afterwards. A shuffling loader is
    refused: its order would not match the data's."""
    if loader_shuffles(loader):
        raise ValueError("the loader shuffles, so the latents would not line up with the data; "
                         "use a loader with shuffle=False")
    with evaluating(model):
        return np.concatenate([model(batch[0])[1].numpy() for batch in loader])


def reconstruction_mse(model: Autoencoder, loader: DataLoader) -> float:
    """Mean squared error per pixel over the loader's inputs (eval mode, no gradients)."""
    total, count = 0.0, 0
    with evaluating(model):
        for (inputs,) in loader:
            reconstruction, _ = model(inputs)
            total += float(((reconstruction - inputs) ** 2).sum())
            count += inputs.numel()
    return total / count


@dataclass
class AutoencoderConfig:
    """The autoencoder chapter on scikit-learn's digits, upscaled to 28x28."""

    latent_size: int = 128
    """Size of the latent vector."""
    epochs: int = 20
    """Training passes over the training images."""
    lr: float = 1e-3
    """Adam step size."""
    batch_size: int = 64
    """Mini-batch size."""
    test_fraction: float = 0.2
    """Share of the images held out to measure reconstruction."""
    num_workers: int = 0
    """DataLoader worker processes (0 loads in the main process)."""
    n_shown: int = 10
    """Held-out images drawn in the originals/reconstructions grid."""
    seed: int = 5731
    """Seed of the split, the initial weights and the shuffling."""
    threads: int = 1
    """Torch CPU threads for training (more rarely help networks this small)."""
    out: Path = Path("runs/pipelines/autoencoder")
    """Directory for the plots."""

    def __post_init__(self) -> None:
        _check_positive(self, "latent_size", "epochs", "batch_size", "n_shown", "threads")
        if not self.lr > 0:
            raise ValueError(f"lr must be positive, got {self.lr}")
        if not 0 < self.test_fraction < 1:
            raise ValueError(f"test_fraction must be in (0, 1), got {self.test_fraction}")
        if self.num_workers < 0:
            raise ValueError(f"num_workers must be non-negative, got {self.num_workers}")
        check_seed(self.seed)


def _check_positive(config, *names: str) -> None:
    for name in names:
        if getattr(config, name) < 1:
            raise ValueError(f"{name} must be at least 1, got {getattr(config, name)}")


def split_digits(test_fraction: float, seed: int):
    """Digits 28x28 split stratified by label: ``(train_images, test_images, train_labels, test_labels)``."""
    images, labels = digits_28x28()
    return train_test_split(images, labels, test_size=test_fraction, random_state=seed, stratify=labels)


def run(config: AutoencoderConfig = AutoencoderConfig()) -> ChapterResult:
    """Train on digits; report held-out reconstruction MSE (beside the MSE of
    always answering the mean training image); draw originals above
    reconstructions."""
    train_images, test_images, _, _ = split_digits(config.test_fraction, config.seed)
    with torch_threads(config.threads):
        model, losses = fit_autoencoder(train_images, latent_size=config.latent_size, epochs=config.epochs,
                                        lr=config.lr, batch_size=config.batch_size, seed=config.seed,
                                        num_workers=config.num_workers)
    test_loader = make_image_loader(test_images, batch_size=256, shuffle=False)
    mean_image = train_images.mean(axis=0)
    metrics = {
        "first_epoch_train_mse": losses[0],
        "last_epoch_train_mse": losses[-1],
        "test_mse": reconstruction_mse(model, test_loader),
        "mean_image_test_mse": float(((test_images - mean_image) ** 2).mean()),
    }
    shown = test_images[: config.n_shown]
    with evaluating(model):
        reconstructions, _ = model(torch.tensor(check_unit_range(shown)))
    plot = plotting.save_image_grid(
        [shown, reconstructions.numpy().reshape(shown.shape)],
        Path(config.out) / "digits_reconstructions.png", row_titles=["original", "decoded"],
        title=f"held-out digits, test MSE {metrics['test_mse']:.4f}")
    return ChapterResult(metrics=metrics, plots=[plot])
