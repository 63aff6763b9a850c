"""pipelines.autoencoder: the tutorial's model, seeded training and latent extraction."""

import numpy as np
import pytest
import torch
from torch import nn
from torch.utils.data import DataLoader, Dataset

from boardgym.pipelines import autoencoder
from boardgym.pipelines.autoencoder import (Autoencoder, AutoencoderConfig, extract_latent_features,
                                            fit_autoencoder, make_image_loader, reconstruction_mse)
from boardgym.pipelines.datasets import digits_28x28
from boardgym.pipelines.training import evaluating, seed_worker

torch.set_num_threads(1)


@pytest.fixture(scope="module")
def digits():
    return digits_28x28()


def linear_sizes(stack: nn.Sequential) -> list[tuple[int, int]]:
    return [(layer.in_features, layer.out_features) for layer in stack if isinstance(layer, nn.Linear)]


def test_the_model_is_the_tutorials():
    model = Autoencoder()
    assert linear_sizes(model.encoder) == [(784, 512), (512, 256), (256, 128)]
    assert linear_sizes(model.decoder) == [(128, 256), (256, 512), (512, 784)]
    assert [type(m).__name__ for m in model.encoder] == ["Linear", "ReLU", "Linear", "ReLU", "Linear"]
    assert isinstance(model.decoder[-1], nn.Sigmoid)
    assert model.config() == {"input_size": 784, "hidden_sizes": [512, 256], "latent_size": 128}


def test_forward_shapes_and_output_range():
    model = Autoencoder(input_size=84, hidden_sizes=(32,), latent_size=8)
    wild = torch.randn(5, 84) * 100  # far outside [0, 1]: the Sigmoid still bounds the output
    reconstruction, latent = model(wild)
    assert reconstruction.shape == (5, 84) and latent.shape == (5, 8)
    assert reconstruction.min() >= 0.0 and reconstruction.max() <= 1.0
    assert linear_sizes(model.encoder) == [(84, 32), (32, 8)]
    assert linear_sizes(model.decoder) == [(8, 32), (32, 84)]


class EvalRecorder:
    """A forward hook noting, per call, the batch size, train mode and whether autograd was on."""

    def __init__(self, module: nn.Module):
        self.calls = []
        module.register_forward_hook(self)

    def __call__(self, module, inputs, output):
        self.calls.append((len(inputs[0]), module.training, torch.is_grad_enabled()))


@pytest.mark.parametrize("start_in_training_mode", [True, False])
def test_extract_latent_features_batches_in_eval_mode_without_grad(start_in_training_mode):
    model = Autoencoder(input_size=16, hidden_sizes=(8,), latent_size=3)
    model.train(start_in_training_mode)
    recorder = EvalRecorder(model)
    images = np.random.default_rng(0).random((10, 4, 4)).astype(np.float32)
    latents = extract_latent_features(model, make_image_loader(images, batch_size=4, shuffle=False))
    assert latents.shape == (10, 3) and isinstance(latents, np.ndarray)
    assert recorder.calls == [(4, False, False), (4, False, False), (2, False, False)]
    assert model.training is start_in_training_mode
    assert all(p.grad is None for p in model.parameters())
    with torch.no_grad():
        np.testing.assert_allclose(latents, model.encoder(torch.tensor(images.reshape(10, -1))).numpy(), rtol=1e-6)


def test_eval_mode_is_restored_after_an_error():
    model = Autoencoder(input_size=4, hidden_sizes=(4,), latent_size=2)
    with pytest.raises(RuntimeError, match="boom"):
        with evaluating(model):
            raise RuntimeError("boom")
    assert model.training and torch.is_grad_enabled()


def test_a_shuffling_loader_is_refused():
    model = Autoencoder(input_size=4, hidden_sizes=(4,), latent_size=2)
    with pytest.raises(ValueError, match="the loader shuffles"):
        extract_latent_features(model, make_image_loader(np.zeros((3, 4)), shuffle=True))


@pytest.mark.parametrize("bad", [np.full((2, 4), 1.5), np.full((2, 4), -0.1), np.full((2, 4), np.nan)])
def test_inputs_outside_the_unit_range_are_refused(bad):
    with pytest.raises(ValueError, match=r"must be scaled to \[0, 1\]"):
        make_image_loader(bad)
    with pytest.raises(ValueError, match=r"must be scaled to \[0, 1\]"):
        fit_autoencoder(bad, latent_size=2, hidden_sizes=(4,), epochs=1)


def test_reconstruction_loss_falls_on_digits(digits):
    images, _ = digits
    train, held_out = images[:1000], images[1500:]
    model, losses = fit_autoencoder(train, epochs=6, lr=2e-3, seed=0)
    assert losses[-1] < 0.6 * losses[0]
    mean_image_mse = float(((held_out - train.mean(axis=0)) ** 2).mean())
    assert reconstruction_mse(model, make_image_loader(held_out, shuffle=False)) < 0.85 * mean_image_mse


def test_training_is_seeded(digits):
    images = digits[0][:200]
    first, first_losses = fit_autoencoder(images, latent_size=4, hidden_sizes=(32,), epochs=2, batch_size=16, seed=7)
    again, again_losses = fit_autoencoder(images, latent_size=4, hidden_sizes=(32,), epochs=2, batch_size=16, seed=7)
    other, _ = fit_autoencoder(images, latent_size=4, hidden_sizes=(32,), epochs=2, batch_size=16, seed=8)
    assert first_losses == again_losses
    for name, tensor in first.state_dict().items():
        assert torch.equal(tensor, again.state_dict()[name])
    assert not torch.equal(first.encoder[0].weight, other.encoder[0].weight)


class NumpyDraws(Dataset):
    """Each item is a draw from numpy's global RNG: what a worker's augmentation would use."""

    def __len__(self):
        return 8

    def __getitem__(self, index):
        return np.random.random()


def draw_through_workers(seed: int) -> list[float]:
    loader = DataLoader(NumpyDraws(), batch_size=4, num_workers=2, worker_init_fn=seed_worker,
                        generator=torch.Generator().manual_seed(seed))
    return [value for batch in loader for value in batch.tolist()]


def test_workers_draw_different_numbers_that_repeat():
    first = draw_through_workers(0)
    worker_a, worker_b = first[:4], first[4:]  # batch i comes from worker i
    assert worker_a != worker_b
    assert draw_through_workers(0) == first
    assert draw_through_workers(1) != first


def test_run_reports_and_draws(tmp_path):
    result = autoencoder.run(AutoencoderConfig(epochs=2, n_shown=4, out=tmp_path))
    assert set(result.metrics) == {"first_epoch_train_mse", "last_epoch_train_mse", "test_mse", "mean_image_test_mse"}
    assert result.metrics["last_epoch_train_mse"] < result.metrics["first_epoch_train_mse"]
    assert result.plots == [tmp_path / "digits_reconstructions.png"]
    assert result.plots[0].read_bytes()[:4] == b"\x89PNG"


@pytest.mark.parametrize("field, value", [("latent_size", 0), ("epochs", 0), ("lr", -1.0), ("batch_size", 0),
                                          ("test_fraction", 0.0), ("num_workers", -1), ("threads", 0)])
def test_bad_config_values_name_the_field(field, value):
    with pytest.raises(ValueError, match=field):
        AutoencoderConfig(**{field: value})
