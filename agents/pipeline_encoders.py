"""Encoders built from the pipelines: a frozen autoencoder's latent vector
(``autoencoder``) and a bag-of-visual-words histogram of local patches (``bovw``).

Both are fitted when built (seeded, a few seconds) on positions met when a
player plays itself (``play``: ``"random"``, ``"greedy"``, ``"alphabeta:2"``...),
or on given positions with :meth:`fit`. What they learn (the autoencoder's
weights, the K-Means centres) lives in frozen parameters and buffers, so it is
part of the learner network's ``state_dict`` and of every checkpoint. Their
``config()`` says ``fit=False``: rebuilding from a checkpoint makes an
unfitted skeleton of the same shape that ``load_state_dict`` fills, so loading
never refits. A skeleton that was never filled refuses to encode.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from boardgym.agents.arena import play_games
from boardgym.agents.encoders import Encoder
from boardgym.agents.scripted import make_policy
from boardgym.envs import rules
from boardgym.envs.rules import Game, get_game
from boardgym.pipelines.autoencoder import fit_autoencoder
from boardgym.pipelines.bovw import Vocabulary, extract_patches
from boardgym.pipelines.datasets import render_positions
from boardgym.pipelines.training import build_mlp, check_seed, seeded

AUTOENCODER_VIEWS = ("planes", "image")
PATCH_ENCODERS = ("flat", "autoencoder")


def collect_positions(game: Game | str, n_positions: int, play: str = "random", seed: int = 0,
                      games_per_batch: int = 256) -> np.ndarray:
    """``n_positions`` int8 planes ``(N, 2, rows, cols)`` (mover's view), drawn in
    random order from the positions met while the player ``play`` plays itself
    (exploring: ``greedy=False``); only positions with a move still due."""
    game = get_game(game)
    if n_positions < 1:
        raise ValueError(f"n_positions must be at least 1, got {n_positions}")
    policy = make_policy(play, game, seed=check_seed(seed))
    rng = np.random.default_rng(seed)
    collected, total = [], 0
    while total < n_positions:
        games = play_games(game, [policy], np.zeros((games_per_batch, 2), dtype=np.intp), greedy=False,
                           record_moves=True)
        collected.append(_positions_before_moves(game, games.moves))
        total += len(collected[-1])
    positions = np.concatenate(collected)
    return positions[rng.permutation(len(positions))[:n_positions]]


def _positions_before_moves(game: Game, moves: np.ndarray) -> np.ndarray:
    """Replay recorded games ``(n_games, max_moves)`` (-1 after the end) and
    return the position before every move."""
    state = rules.initial(game, len(moves))
    positions = []
    for ply in range(moves.shape[1]):
        active = moves[:, ply] >= 0
        if not active.any():
            break
        positions.append(rules.observe(game, state)[active])
        rules.step_unchecked(game, state, moves[:, ply].astype(np.intp), active)
    return np.concatenate(positions)


def rendering_matrix(game: Game) -> torch.Tensor:
    """``(2 * cells, 784)``: flattened planes times it give the 28x28 pictures of
    :func:`boardgym.pipelines.datasets.render_positions` (rendering is linear in
    the planes, so each unit plane's picture is its row)."""
    n_planes = 2 * game.n_cells
    unit_planes = np.eye(n_planes, dtype=np.int8).reshape(n_planes, 2, game.rows, game.cols)
    return torch.from_numpy(render_positions(unit_planes).reshape(n_planes, -1))


def _frozen_mlp(n_inputs: int, hidden_sizes, n_outputs: int, seed: int) -> nn.Sequential:
    with seeded(seed):
        return build_mlp(n_inputs, hidden_sizes, n_outputs).requires_grad_(False)


def _check_at_least_one(owner: str, **values) -> None:
    for name, value in values.items():
        if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < 1:
            raise ValueError(f"{owner}.{name} must be an integer of at least 1, got {value!r}")


def _check_choice(owner: str, name: str, value: str, choices: tuple[str, ...]) -> None:
    if value not in choices:
        raise ValueError(f"{owner}.{name} must be one of {choices}, got {value!r}")


class _FittedEncoder(Encoder):
    """Shared plumbing: the ``fitted`` flag (saved with the state) and fitting at construction."""

    def _init_fitting(self, game: Game, positions: int, play: str, seed: int) -> None:
        self.game = get_game(game)
        self.positions, self.play, self.seed = int(positions), str(play), check_seed(seed)
        self.register_buffer("fitted", torch.tensor(False))

    def _fit_on_play(self) -> None:
        self.fit(collect_positions(self.game, self.positions, self.play, self.seed))

    def _check_fitted(self) -> None:
        if not bool(self.fitted):
            raise RuntimeError(f"the {self.name} encoder is not fitted: build it with fit=True, call "
                               "fit(positions), or load a checkpoint's state into it")

    def _check_positions(self, planes) -> np.ndarray:
        planes = np.asarray(planes)
        expected = (2, self.game.rows, self.game.cols)
        if planes.ndim != 4 or planes.shape[1:] != expected or len(planes) == 0:
            raise ValueError(f"positions must be a non-empty (N, {', '.join(map(str, expected))}) array, "
                             f"got shape {planes.shape}")
        return planes

    def fit(self, planes: np.ndarray) -> "_FittedEncoder":
        raise NotImplementedError


class AutoencoderEncoder(_FittedEncoder):
    """The encoder half of a pipelines autoencoder trained to reconstruct
    positions, frozen; features = its latent vector ``(B, latent_size)``.

    ``view`` is what the autoencoder sees: ``"planes"`` (the two planes
    flattened) or ``"image"`` (the 28x28 grayscale picture of
    :func:`boardgym.pipelines.datasets.render_positions`, computed in the
    network as a fixed linear map of the planes).
    """

    name = "autoencoder"

    def __init__(self, game: Game | str, view: str = "planes", hidden_sizes=(256, 128), latent_size: int = 64,
                 positions: int = 10_000, epochs: int = 10, play: str = "random", seed: int = 0, fit: bool = True):
        super().__init__()
        _check_choice("autoencoder", "view", view, AUTOENCODER_VIEWS)
        hidden_sizes = [int(h) for h in hidden_sizes]
        _check_at_least_one("autoencoder", latent_size=latent_size, positions=positions, epochs=epochs,
                            **{f"hidden_sizes[{i}]": h for i, h in enumerate(hidden_sizes)})
        self._init_fitting(game, positions, play, seed)
        self.view, self.hidden_sizes, self.latent_size, self.epochs = view, hidden_sizes, int(latent_size), int(epochs)
        render = rendering_matrix(self.game) if view == "image" else None
        self.register_buffer("render", render, persistent=False)
        n_inputs = 2 * self.game.n_cells if render is None else render.shape[1]
        self.body = _frozen_mlp(n_inputs, self.hidden_sizes, self.latent_size, self.seed)
        self.output_dim = self.latent_size
        if fit:
            self._fit_on_play()

    def config(self) -> dict:
        return {"view": self.view, "hidden_sizes": list(self.hidden_sizes), "latent_size": self.latent_size,
                "positions": self.positions, "epochs": self.epochs, "play": self.play, "seed": self.seed,
                "fit": False}

    def _inputs(self, planes: torch.Tensor) -> torch.Tensor:
        flat = planes.float().flatten(1)
        return flat @ self.render if self.view == "image" else flat

    def fit(self, planes: np.ndarray) -> "AutoencoderEncoder":
        """Train a fresh autoencoder (seeded) on ``planes`` ``(N, 2, rows, cols)`` and keep its encoder."""
        planes = self._check_positions(planes)
        inputs = self._inputs(torch.as_tensor(planes)).numpy()
        model, _ = fit_autoencoder(inputs, latent_size=self.latent_size, hidden_sizes=self.hidden_sizes,
                                        epochs=self.epochs, seed=self.seed)
        self.body.load_state_dict(model.encoder.state_dict())
        self.fitted.fill_(True)
        return self

    def forward(self, planes: torch.Tensor) -> torch.Tensor:
        self._check_fitted()
        return self.body(self._inputs(planes))


class BovwEncoder(_FittedEncoder):
    """Bag of visual words over local patches: every ``window`` x ``window``
    patch of the planes (stride 1) is described (``"flat"``: the patch's cells;
    ``"autoencoder"``: the latent of a small frozen pipelines autoencoder
    trained on patches), assigned to its nearest of ``n_words`` K-Means words
    (the pipelines :class:`~boardgym.pipelines.bovw.Vocabulary`), and the board
    becomes the normalised word counts ``(B, n_words)``, optionally followed by
    the flattened planes. The window is capped at the board's smaller side.
    """

    name = "bovw"

    def __init__(self, game: Game | str, window: int = 4, n_words: int = 32, patch_encoder: str = "flat",
                 patch_hidden: int = 16, patch_latent: int = 8, concat_planes: bool = False, positions: int = 1000,
                 n_init: int = 2, epochs: int = 10, play: str = "random", seed: int = 0, fit: bool = True):
        super().__init__()
        _check_choice("bovw", "patch_encoder", patch_encoder, PATCH_ENCODERS)
        _check_at_least_one("bovw", window=window, n_words=n_words, patch_hidden=patch_hidden,
                            patch_latent=patch_latent, positions=positions, n_init=n_init, epochs=epochs)
        self._init_fitting(game, positions, play, seed)
        self.window = min(int(window), self.game.rows, self.game.cols)
        self.n_words, self.n_init, self.epochs = int(n_words), int(n_init), int(epochs)
        self.patch_encoder, self.concat_planes = patch_encoder, bool(concat_planes)
        self.patch_hidden, self.patch_latent = int(patch_hidden), int(patch_latent)
        patch_size = 2 * self.window * self.window
        self.patch_body = (_frozen_mlp(patch_size, [self.patch_hidden], self.patch_latent, self.seed)
                           if patch_encoder == "autoencoder" else nn.Identity())
        descriptor_size = self.patch_latent if patch_encoder == "autoencoder" else patch_size
        self.register_buffer("centres", torch.zeros(self.n_words, descriptor_size, dtype=torch.float64))
        self.register_buffer("bandwidth", torch.tensor(1.0, dtype=torch.float64))
        self.output_dim = self.n_words + (2 * self.game.n_cells if self.concat_planes else 0)
        if fit:
            self._fit_on_play()

    def config(self) -> dict:
        return {"window": self.window, "n_words": self.n_words, "patch_encoder": self.patch_encoder,
                "patch_hidden": self.patch_hidden, "patch_latent": self.patch_latent,
                "concat_planes": self.concat_planes, "positions": self.positions, "n_init": self.n_init,
                "epochs": self.epochs, "play": self.play, "seed": self.seed, "fit": False}

    def _patches(self, planes: np.ndarray) -> np.ndarray:
        """Flat patches ``(N, P, 2 * window**2)`` as float32."""
        return extract_patches(planes, self.window).astype(np.float32)

    def _describe(self, patches: np.ndarray) -> np.ndarray:
        with torch.no_grad():
            return self.patch_body(torch.from_numpy(patches)).numpy()

    def fit(self, planes: np.ndarray) -> "BovwEncoder":
        """Fit the patch autoencoder (if any) and the vocabulary on ``planes`` ``(N, 2, rows, cols)``."""
        patches = self._patches(self._check_positions(planes))
        flat_patches = patches.reshape(-1, patches.shape[-1])
        if self.patch_encoder == "autoencoder":
            model, _ = fit_autoencoder(flat_patches, latent_size=self.patch_latent, hidden_sizes=[self.patch_hidden],
                                       epochs=self.epochs, seed=self.seed)
            self.patch_body.load_state_dict(model.encoder.state_dict())
        vocabulary = Vocabulary(self.n_words, self.n_init, self.seed).fit(self._describe(flat_patches))
        self.centres.copy_(torch.from_numpy(vocabulary.centres))
        self.bandwidth.fill_(vocabulary.bandwidth)
        self.fitted.fill_(True)
        return self

    def vocabulary(self) -> Vocabulary:
        """The fitted words as a pipelines vocabulary."""
        self._check_fitted()
        return Vocabulary.from_centres(self.centres.numpy(), float(self.bandwidth))

    def forward(self, planes: torch.Tensor) -> torch.Tensor:
        vocabulary = self.vocabulary()
        board = planes.detach().cpu().numpy()
        histograms = torch.from_numpy(vocabulary.histogram(self._describe(self._patches(board)))).float()
        if self.concat_planes:
            return torch.cat([histograms, planes.float().flatten(1)], dim=1)
        return histograms
