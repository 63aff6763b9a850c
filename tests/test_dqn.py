"""DQN: the masking rules with exact values, transitions cut from episodes, learning a won position."""

import numpy as np
import pytest
import torch

from boardgym.agents.dqn import DQNConfig, DQNLearner, double_dqn_targets
from boardgym.agents.learner import Episodes, NetworkPolicy, mirrored_copies
from boardgym.envs import rules
from boardgym.envs.rules import CONNECT_FOUR, TICTACTOE, parse_board

torch.set_num_threads(1)


def test_target_takes_the_best_legal_next_action_and_stops_at_the_end():
    online_next_q = torch.tensor([[1.0, 5.0, 3.0], [1.0, 5.0, 3.0], [9.0, 9.0, 9.0]])
    target_next_q = torch.tensor([[10.0, 20.0, 30.0], [10.0, 20.0, 30.0], [float("nan"), 7.0, 7.0]])
    next_masks = torch.tensor([[1, 0, 1], [1, 1, 1], [0, 0, 0]], dtype=torch.int8)
    rewards = torch.tensor([0.0, 0.0, -1.0])
    dones = torch.tensor([False, False, True])
    targets = double_dqn_targets(online_next_q, target_next_q, next_masks, rewards, dones, gamma=0.9)
    # Row 0: action 1 has the best online value but is illegal, so action 2 is
    # chosen and valued by the target network: 0.9 * 30. Row 1: action 1 is
    # legal: 0.9 * 20. Row 2: the game ended, the target is the reward alone.
    assert targets.tolist() == pytest.approx([27.0, 18.0, -1.0])


def test_target_never_uses_an_illegal_value_even_when_all_legal_values_are_negative():
    online_next_q = torch.tensor([[-5.0, 0.0, -2.0]])
    target_next_q = torch.tensor([[-4.0, 100.0, -3.0]])
    targets = double_dqn_targets(online_next_q, target_next_q, torch.tensor([[1, 0, 1]]),
                                 torch.tensor([0.5]), torch.tensor([False]), gamma=1.0)
    assert targets.tolist() == pytest.approx([0.5 - 3.0])


class _FixedScores(torch.nn.Module):
    """A network returning the same scores for every position."""

    def __init__(self, scores):
        super().__init__()
        self.scores = torch.tensor(scores, dtype=torch.float32)

    def forward(self, planes):
        return self.scores.expand(planes.shape[0], -1)


def _board_with_full_column(column: int):
    state = rules.replay(CONNECT_FOUR, [column] * 6)
    return rules.observe(CONNECT_FOUR, state), rules.legal_mask(CONNECT_FOUR, state)


def test_greedy_choice_is_the_best_legal_q_value():
    planes, mask = _board_with_full_column(3)
    policy = NetworkPolicy(_FixedScores([0, 1, 2, 9, 5, 5, 0]), CONNECT_FOUR, explore="epsilon")
    # Column 3 has the highest value but is full; 4 and 5 tie, the lower index wins.
    assert policy.act(planes, mask, greedy=True).tolist() == [4]


@pytest.mark.parametrize("epsilon", [0.0, 0.3, 1.0])
def test_a_policy_whose_favourite_column_is_full_never_plays_it(epsilon):
    planes, mask = _board_with_full_column(3)
    planes, mask = np.repeat(planes, 500, axis=0), np.repeat(mask, 500, axis=0)
    policy = NetworkPolicy(_FixedScores([0, 0, 0, 9, 0, 0, 0]), CONNECT_FOUR, explore="epsilon",
                           epsilon=epsilon, seed=0)
    actions = policy.act(planes, mask, greedy=False)
    assert 3 not in actions.tolist()
    if epsilon == 1.0:
        assert sorted(set(actions.tolist())) == [0, 1, 2, 4, 5, 6]


def test_symmetry_augmentation_mirrors_board_mask_and_action_together():
    planes = parse_board(CONNECT_FOUR, """
        X . . . . . .
        O . . . . . .
        X . . . . . .
        O . . . . . .
        X . . . . . .
        O X . . . . .
    """)[None]
    mask = np.array([[0, 1, 1, 1, 1, 1, 1]], dtype=np.int8)
    (same_planes, same_mask, same_action), (planes_m, mask_m, action_m) = mirrored_copies(
        CONNECT_FOUR, planes, mask, np.array([1]))
    assert np.array_equal(same_planes, planes) and np.array_equal(same_mask, mask) and same_action.tolist() == [1]
    assert np.array_equal(planes_m, planes[..., ::-1])
    assert mask_m.tolist() == [[1, 1, 1, 1, 1, 1, 0]]
    assert action_m.tolist() == [5]
    # The mirrored move lands where the original did, mirrored: on top of X's stone in column 5.
    assert planes_m[0, 0, 5, 5] == 1 and planes_m[0, :, 4, 5].sum() == 0


def _two_episodes():
    """A won 3-decision episode and a lost 1-decision one (planes are move numbers)."""
    planes = np.zeros((4, 2, 3, 3), dtype=np.int8)
    for i in range(4):
        planes[i, 0, 0, 0] = i + 1
    masks = np.array([[1] * 9, [0] + [1] * 8, [0, 0] + [1] * 7, [1] * 9], dtype=np.int8)
    return Episodes(planes=planes, masks=masks, actions=np.array([4, 2, 6, 0]), episode=np.array([0, 0, 0, 1]),
                    move=np.array([0, 1, 2, 0]), length=np.array([3, 3, 3, 1]),
                    final_reward=np.array([1.0, 1.0, 1.0, -1.0], dtype=np.float32))


def test_episodes_become_transitions_from_own_move_to_own_next_move():
    learner = DQNLearner(TICTACTOE, DQNConfig(augment=False, buffer_size=100), seed=0)
    episodes = _two_episodes()
    learner.add_episodes(episodes)
    buffer = learner.buffer
    assert len(buffer) == 4
    assert buffer.rewards[:4].tolist() == [0.0, 0.0, 1.0, -1.0]
    assert buffer.dones[:4].tolist() == [False, False, True, True]
    assert buffer.actions[:4].tolist() == [4, 2, 6, 0]
    assert buffer.next_planes[:4, 0, 0, 0].tolist() == [2, 3, 0, 0]
    assert np.array_equal(buffer.next_masks[0], episodes.masks[1])
    assert np.array_equal(buffer.next_masks[1], episodes.masks[2])
    assert buffer.next_masks[2:4].sum() == 0


def test_augmented_transitions_hold_every_symmetry():
    learner = DQNLearner(TICTACTOE, DQNConfig(augment=True, buffer_size=100), seed=0)
    learner.add_episodes(_two_episodes())
    assert len(learner.buffer) == 4 * 8
    # Decision 0 played the centre, which every symmetry of the square keeps.
    assert learner.buffer.actions[0:32:4].tolist() == [4] * 8


def test_epsilon_decays_linearly_to_its_floor():
    learner = DQNLearner(TICTACTOE, DQNConfig(epsilon_start=1.0, epsilon_end=0.1, exploration_steps=1000))
    assert [round(learner.epsilon_at(s), 6) for s in (0, 500, 1000, 5000)] == [1.0, 0.55, 0.1, 0.1]


@pytest.mark.parametrize("field,value", [("batch_size", 0), ("gamma", 1.5), ("epsilon_end", -0.1),
                                         ("train_frequency", 0)])
def test_bad_config_names_the_field(field, value):
    with pytest.raises(ValueError, match=f"DQNConfig.{field}"):
        DQNConfig(**{field: value})


def test_learns_the_value_of_an_immediate_win():
    """Repeated updates on one winning transition drive its Q-value to the reward."""
    torch.manual_seed(0)
    learner = DQNLearner(TICTACTOE, DQNConfig(augment=False, learning_starts=1, batch_size=8, train_frequency=1,
                                              channels=8, conv_layers=1, hidden=32, learning_rate=1e-2), seed=0)
    state = rules.replay(TICTACTOE, [0, 3, 1, 4])  # X to move: 2 wins the top row
    planes, mask = rules.observe(TICTACTOE, state), rules.legal_mask(TICTACTOE, state)
    learner.add_episodes(Episodes(planes=planes, masks=mask, actions=np.array([2]), episode=np.array([0]),
                                  move=np.array([0]), length=np.array([1]),
                                  final_reward=np.array([1.0], dtype=np.float32)))
    learner.update(300)
    with torch.no_grad():
        q_win = learner.network(torch.as_tensor(planes, dtype=torch.float32))[0, 2].item()
    assert q_win == pytest.approx(1.0, abs=0.05)
    assert learner.gradient_steps == 300
