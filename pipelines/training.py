"""Torch plumbing shared by the pipelines: the feed-forward network builder,
seeded model building, seeded data loaders, the tutorial's five-step training
loop and evaluation mode.

Everything random here draws from generators seeded by the caller, so a run
with the same seed repeats exactly; the global torch RNG is forked, never left
changed.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader, RandomSampler, TensorDataset

#: One batch through the model: ``forward(model, batch_tensors) -> (output, target)``.
Forward = Callable[[nn.Module, tuple[torch.Tensor, ...]], tuple[torch.Tensor, torch.Tensor]]


def check_seed(seed, name: str = "seed") -> int:
    """``seed`` as an int, or a ValueError naming ``name``."""
    if isinstance(seed, (bool, np.bool_)) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"{name} must be a non-negative integer, got {seed!r}")
    return int(seed)


@contextmanager
def seeded(seed: int) -> Iterator[None]:
    """Run the body with torch's global RNG seeded by ``seed`` (layer
    initialisation draws from it), then put the previous RNG state back."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(check_seed(seed))
        yield


def build_mlp(n_inputs: int, hidden_sizes=(64, 32), n_outputs: int = 1) -> nn.Sequential:
    """``Linear(n_inputs, h1) ReLU ... Linear(h_last, n_outputs)``. The defaults
    are the tutorial's 64-32-1 regression network; the autoencoder builds its
    encoder and decoder with it too."""
    sizes = [int(n_inputs), *(int(h) for h in hidden_sizes)]
    if any(size < 1 for size in sizes) or n_outputs < 1:
        raise ValueError(f"layer sizes must be positive, got {sizes} -> {n_outputs}")
    layers: list[nn.Module] = []
    for width_in, width_out in zip(sizes[:-1], sizes[1:]):
        layers += [nn.Linear(width_in, width_out), nn.ReLU()]
    layers.append(nn.Linear(sizes[-1], int(n_outputs)))
    return nn.Sequential(*layers)


def seed_worker(worker_id: int) -> None:
    """DataLoader ``worker_init_fn``: torch already gives each worker the seed
    ``base_seed + worker_id`` (``base_seed`` drawn from the loader's seeded
    generator); derive numpy's and ``random``'s seeds from it, so their draws
    differ between workers and repeat from run to run."""
    worker_seed = torch.initial_seed() % 2**32
    np.random.seed(worker_seed)
    random.seed(worker_seed)


def make_loader(*arrays, batch_size: int = 64, shuffle: bool = True, seed: int = 0,
                num_workers: int = 0) -> DataLoader:
    """A DataLoader over tensor copies of ``arrays`` (first axis = samples;
    integer arrays become int64, e.g. class indices, the rest float32),
    shuffled by a ``torch.Generator`` seeded with ``seed``."""
    if not arrays:
        raise ValueError("make_loader needs at least one array")
    if batch_size < 1:
        raise ValueError(f"batch_size must be at least 1, got {batch_size}")
    if num_workers < 0:
        raise ValueError(f"num_workers must be non-negative, got {num_workers}")
    tensors = [_tensor_copy(np.asarray(a)) for a in arrays]
    if len({len(t) for t in tensors}) != 1:
        raise ValueError(f"arrays differ in length: {[len(t) for t in tensors]}")
    generator = torch.Generator().manual_seed(check_seed(seed))
    return DataLoader(TensorDataset(*tensors), batch_size=batch_size, shuffle=shuffle,
                      generator=generator, num_workers=num_workers, worker_init_fn=seed_worker)


def _tensor_copy(array: np.ndarray) -> torch.Tensor:
    if np.issubdtype(array.dtype, np.integer):
        return torch.tensor(array, dtype=torch.int64)
    return torch.tensor(array, dtype=torch.float32)


def loader_shuffles(loader: DataLoader) -> bool:
    return isinstance(loader.sampler, RandomSampler)


def train(model: nn.Module, loader: DataLoader, forward: Forward, loss_fn: nn.Module, *,
          epochs: int, lr: float) -> list[float]:
    """Adam over ``epochs`` passes of ``loader`` with the tutorial's five steps
    per batch (zero_grad, forward, loss, backward, step); returns each epoch's
    mean loss (weighted by batch size)."""
    if epochs < 1:
        raise ValueError(f"epochs must be at least 1, got {epochs}")
    if not lr > 0:
        raise ValueError(f"lr must be positive, got {lr}")
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    model.train()
    epoch_losses = []
    for _ in range(epochs):
        total, count = 0.0, 0
        for batch in loader:
            optimizer.zero_grad()
            output, target = forward(model, batch)
            loss = loss_fn(output, target)
            loss.backward()
            optimizer.step()
            total += loss.item() * len(batch[0])
            count += len(batch[0])
        epoch_losses.append(total / count)
    return epoch_losses


@contextmanager
def torch_threads(threads: int) -> Iterator[None]:
    """Run the body with torch using ``threads`` CPU threads, then restore the
    previous count. These networks are small: one thread loses little, and on
    cores shared with other jobs it avoids threads waiting on each other."""
    if threads < 1:
        raise ValueError(f"threads must be at least 1, got {threads}")
    previous = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        yield
    finally:
        torch.set_num_threads(previous)


@contextmanager
def evaluating(model: nn.Module) -> Iterator[nn.Module]:
    """``model.eval()`` under ``torch.no_grad()``; the previous train/eval mode
    comes back afterwards, even on error."""
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            yield model
    finally:
        model.train(was_training)
