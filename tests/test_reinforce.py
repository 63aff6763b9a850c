"""REINFORCE: the loss of a two-step episode with exact values, the entropy bonus, masking."""

import math

import numpy as np
import pytest
import torch

from boardgym.agents.learner import Episodes
from boardgym.agents.reinforce import (ReinforceConfig, ReinforceLearner, legal_entropy, masked_log_probs,
                                       reinforce_loss)
from boardgym.envs import rules
from boardgym.envs.rules import CONNECT_FOUR, TICTACTOE

torch.set_num_threads(1)


def _log_softmax(values):
    top = max(values)
    total = sum(math.exp(v - top) for v in values)
    return [v - top - math.log(total) for v in values]


def test_loss_of_a_two_step_episode():
    # Two decisions of one won episode with gamma = 0.5: returns 0.5 and 1.
    episode = Episodes(planes=np.zeros((2, 2, 3, 3), np.int8), masks=np.array([[1, 1, 0], [0, 1, 1]], np.int8),
                       actions=np.array([0, 2]), episode=np.array([0, 0]), move=np.array([0, 1]),
                       length=np.array([2, 2]), final_reward=np.array([1.0, 1.0], np.float32))
    returns = episode.discounted_returns(0.5)
    assert returns.tolist() == [0.5, 1.0]
    logits = torch.tensor([[1.0, 2.0, 50.0], [-50.0, 0.0, 1.0]], requires_grad=True)
    baseline = torch.tensor([0.2, 0.4])
    loss, policy_loss, entropy = reinforce_loss(logits, torch.as_tensor(episode.masks), torch.as_tensor(episode.actions),
                                                torch.as_tensor(returns), baseline, entropy_coef=0.1)
    # The 50 and -50 are on illegal moves: they must not matter at all.
    first, second = _log_softmax([1.0, 2.0]), _log_softmax([0.0, 1.0])
    expected_policy = -(first[0] * (0.5 - 0.2) + second[1] * (1.0 - 0.4)) / 2
    entropies = [-sum(math.exp(lp) * lp for lp in dist) for dist in (first, second)]
    expected_entropy = sum(entropies) / 2
    assert policy_loss.item() == pytest.approx(expected_policy, rel=1e-6)
    assert entropy.item() == pytest.approx(expected_entropy, rel=1e-6)
    assert loss.item() == pytest.approx(expected_policy - 0.1 * expected_entropy, rel=1e-6)
    loss.backward()
    assert logits.grad[0, 2].item() == 0.0 and logits.grad[1, 0].item() == 0.0


def test_normalized_advantages_have_zero_mean_and_unit_variance():
    # Advantages 0.3 and 0.6 become -1/sqrt(2) and +1/sqrt(2) (sample standard deviation).
    logits = torch.tensor([[1.0, 2.0, 50.0], [-50.0, 0.0, 1.0]])
    masks, actions = torch.tensor([[1, 1, 0], [0, 1, 1]]), torch.tensor([0, 2])
    _, policy_loss, _ = reinforce_loss(logits, masks, actions, torch.tensor([0.5, 1.0]), torch.tensor([0.2, 0.4]),
                                       entropy_coef=0.0, normalize_advantage=True)
    first, second = _log_softmax([1.0, 2.0]), _log_softmax([0.0, 1.0])
    expected_policy = -(first[0] * -math.sqrt(0.5) + second[1] * math.sqrt(0.5)) / 2
    assert policy_loss.item() == pytest.approx(expected_policy, rel=1e-5)


def test_gradient_descent_on_the_entropy_bonus_raises_entropy():
    logits = torch.tensor([[3.0, 0.0, -1.0, 5.0]], requires_grad=True)
    masks = torch.tensor([[1, 1, 1, 0]])
    def entropy_now():
        return legal_entropy(masked_log_probs(logits, masks), masks).item()
    before = entropy_now()
    # Zero advantage: only the entropy term acts.
    loss, _, _ = reinforce_loss(logits, masks, torch.tensor([0]), torch.tensor([0.3]), torch.tensor([0.3]),
                                entropy_coef=1.0)
    loss.backward()
    with torch.no_grad():
        logits -= 0.1 * logits.grad
    assert entropy_now() > before
    # The gradient pushes the favourite down and the others up.
    assert logits.grad[0, 0] > 0 and logits.grad[0, 1] < 0 and logits.grad[0, 2] < 0


def test_entropy_of_a_uniform_legal_distribution_ignores_illegal_moves():
    masks = torch.tensor([[1, 0, 1, 0]])
    log_probs = masked_log_probs(torch.zeros(1, 4), masks)
    assert legal_entropy(log_probs, masks).item() == pytest.approx(math.log(2))


def test_sampling_never_plays_a_full_column():
    state = rules.replay(CONNECT_FOUR, [3] * 6)
    planes = np.repeat(rules.observe(CONNECT_FOUR, state), 300, axis=0)
    mask = np.repeat(rules.legal_mask(CONNECT_FOUR, state), 300, axis=0)
    learner = ReinforceLearner(CONNECT_FOUR, ReinforceConfig(channels=4, conv_layers=1, hidden=8), seed=0)
    with torch.no_grad():
        learner.network.policy_head[-1].bias[:] = torch.tensor([0, 0, 0, 40.0, 0, 0, 0])
    for greedy in (True, False):
        assert 3 not in learner.policy.act(planes, mask, greedy=greedy).tolist()


def test_acting_uses_the_policy_head_alone():
    """The rollout path (``logits``) gives the same logits as the full forward pass,
    and the value head is not run for it."""
    learner = ReinforceLearner(CONNECT_FOUR, ReinforceConfig(channels=4, conv_layers=1, hidden=8), seed=0)
    planes = torch.as_tensor(rules.observe(CONNECT_FOUR, rules.replay(CONNECT_FOUR, [3, 3, 2])), dtype=torch.float32)
    calls = []
    learner.network.value_head.register_forward_hook(lambda *args: calls.append(1))
    torch.testing.assert_close(learner.network.logits(planes), learner.network(planes)[0], rtol=0, atol=0)
    assert len(calls) == 1  # only the full forward pass ran the value head
    learner.policy.act(planes.numpy().astype(np.int8), np.ones((1, 7), np.int8), greedy=False)
    learner.frozen_policy(seed=0).act(planes.numpy().astype(np.int8), np.ones((1, 7), np.int8))
    assert len(calls) == 1


def test_update_waits_for_a_batch_then_trains_on_every_symmetry():
    learner = ReinforceLearner(TICTACTOE, ReinforceConfig(batch_moves=3, channels=4, conv_layers=1, hidden=8,
                                                          augment=True), seed=0)
    state = rules.initial(TICTACTOE, 2)
    episode = Episodes(planes=rules.observe(TICTACTOE, state), masks=rules.legal_mask(TICTACTOE, state),
                       actions=np.array([0, 4]), episode=np.array([0, 1]), move=np.array([0, 0]),
                       length=np.array([1, 1]), final_reward=np.array([1.0, -1.0], np.float32))
    learner.add_episodes(episode)
    assert learner.update(2) == {}
    learner.add_episodes(episode)
    seen = {}
    original = learner.gradient_step
    learner.gradient_step = lambda planes, masks, actions, returns: seen.update(actions=actions) or original(
        planes, masks, actions, returns)
    metrics = learner.update(2)
    assert set(metrics) == {"losses/policy_loss", "losses/value_loss", "losses/entropy"}
    assert len(seen["actions"]) == 4 * 8
    # Corner 0 visits the four corners under the 8 symmetries; the centre stays.
    assert sorted(set(seen["actions"][0::4].tolist())) == [0, 2, 6, 8]
    assert set(seen["actions"][1::4].tolist()) == {4}


def test_value_baseline_learns_the_mean_return():
    torch.manual_seed(0)
    learner = ReinforceLearner(TICTACTOE, ReinforceConfig(channels=4, conv_layers=1, hidden=16, augment=False,
                                                          learning_rate=1e-2, entropy_coef=0.0), seed=0)
    state = rules.initial(TICTACTOE, 4)
    planes, masks = rules.observe(TICTACTOE, state), rules.legal_mask(TICTACTOE, state)
    returns = np.array([1.0, 1.0, 1.0, -1.0], np.float32)
    for _ in range(200):
        learner.gradient_step(planes, masks, np.array([0, 1, 2, 3]), returns)
    with torch.no_grad():
        value = learner.network(torch.as_tensor(planes[:1], dtype=torch.float32))[1].item()
    assert value == pytest.approx(0.5, abs=0.05)


@pytest.mark.parametrize("field,value", [("baseline", "median"), ("gamma", -0.1), ("batch_moves", 0),
                                         ("entropy_coef", -1.0)])
def test_bad_config_names_the_field(field, value):
    with pytest.raises(ValueError, match=f"ReinforceConfig.{field}"):
        ReinforceConfig(**{field: value})
