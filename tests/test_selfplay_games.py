"""Self-play learns a real game: PPO with `self_play` on PettingZoo's tic-tac-toe (config/selfplay/tictactoe.yaml),
through the PettingZoo adapter and the training loop. The rating `Self-play/ELO` in the run's stats.csv rises, and the
trained policy, acting deterministically, beats a uniformly random legal player in at least 90% of 200 games (100 as
the first player, 100 as the second; draws are not wins). Slow: `pytest --runslow tests/test_selfplay_games.py`."""
import time
from pathlib import Path
from typing import Callable, Dict

import numpy as np
import pytest
import torch
import yaml

from agents_nb.envs.base import ActionTuple, DecisionSteps
from agents_nb.settings import RunOptions
from agents_nb.stats import read_stats_csv

pytest.importorskip('pettingzoo')
torch.set_num_threads(1)  # tiny networks: one thread is faster, and leaves cores to others

CONFIG = Path(__file__).resolve().parents[1] / 'config' / 'selfplay' / 'tictactoe.yaml'
GAME = 'pettingzoo.classic.tictactoe_v3'
BEHAVIOR = 'player'
SIDES = (f'{BEHAVIOR}?team=0', f'{BEHAVIOR}?team=1')   # player_1 moves first, player_2 second


# --- players: a batch of decision steps -> one discrete action per row, always a legal one ---------------------------
def allowed_moves(dec: DecisionSteps) -> np.ndarray:
    "(rows, 9) True where a move is legal (the environment's mask is True where a move is blocked)."
    return ~np.asarray(dec.action_mask[0], bool)

def random_player(rng: np.random.Generator) -> Callable[[DecisionSteps], np.ndarray]:
    "A player that picks uniformly among the legal moves of each row."
    def act(dec: DecisionSteps) -> np.ndarray:
        allowed = allowed_moves(dec)
        return np.argmax(np.where(allowed, rng.random(allowed.shape), -1.0), axis=1)
    return act

def policy_player(policy) -> Callable[[DecisionSteps], np.ndarray]:
    """A `TorchPolicy` acting deterministically: the most likely legal move (what its exported model outputs as the
    deterministic action), computed without drawing random numbers, so that playing does not change a run's sampling."""
    def act(dec: DecisionSteps) -> np.ndarray:
        with torch.no_grad():
            encoding, _ = policy.actor.network_body(policy.obs_tensors(dec.obs))
            dists = policy.actor.action_model.get_dists(encoding, policy.action_masks(dec))
            return dists.discrete[0].deterministic_sample().cpu().numpy()
    return act


def play_side(player, opponent, side: int, n_games: int, seed: int = 0) -> Dict[str, int]:
    """`player` as team `side` (0 moves first) against `opponent` for `n_games` games, one per area of one environment
    of `n_games` areas, all played side by side. Each area's first game counts (an area that finishes starts another
    game, which is not counted). Returns the player's wins, draws and losses."""
    from agents_nb.envs.pettingzoo import PettingZooEnv
    env = PettingZooEnv(GAME, num_areas=n_games, seed=seed)
    me, other = SIDES[side], SIDES[1 - side]
    results: Dict[int, float] = {}   # group id (one per area and team) -> the player's final reward
    try:
        for _ in range(20):           # a game lasts at most 9 moves
            for name, act in ((me, player), (other, opponent)):
                dec, _ = env.get_steps(name)
                if len(dec) == 0: continue
                moves = np.asarray(act(dec)).reshape(-1)
                assert allowed_moves(dec)[np.arange(len(dec)), moves].all(), f'{name} chose an illegal move'
                env.set_actions(name, ActionTuple(discrete=moves.reshape(-1, 1).astype(np.int32)))
            env.step()
            _, term = env.get_steps(me)
            for g, r in zip(term.group_id.tolist(), term.reward.tolist()): results.setdefault(g, r)
            if len(results) >= n_games: break
    finally: env.close()
    assert len(results) == n_games, f'{len(results)} of {n_games} games finished'
    r = np.array(list(results.values()))
    return {'wins': int((r > 0).sum()), 'draws': int((r == 0).sum()), 'losses': int((r < 0).sum())}

def play_vs_random(player, n_games: int = 200, seed: int = 0) -> Dict[str, Dict[str, int]]:
    "`player` against a random legal player: half the games moving first, half second; results per side and in all."
    first = play_side(player, random_player(np.random.default_rng(seed)), 0, n_games // 2, seed)
    second = play_side(player, random_player(np.random.default_rng(seed + 1)), 1, n_games - n_games // 2, seed + 1)
    return {'first': first, 'second': second, 'all': {k: first[k] + second[k] for k in first}}


def elo_values(stats_csv: Path):
    "The `Self-play/ELO` summaries of a run: [(step, rating), ...]."
    return [(r['step'], r['value']) for r in read_stats_csv(stats_csv) if r['key'] == 'Self-play/ELO']

def train_tictactoe(tmp_path: Path, seed: int, run_id: str, *flags: str, config: Path = CONFIG):
    "Train `config` as `agents-nb-learn` does; the trainers and the seconds it took."
    from agents_nb.learn import train
    start = time.time()
    trainers = train(str(config), '--run-id', run_id, '--results-dir', str(tmp_path), '--seed', str(seed),
                     '--torch-device', 'cpu', *flags, print_fn=lambda *a, **k: None, progress=False)
    return trainers, time.time() - start


def test_random_against_random_counts_every_game():
    "The evaluation plays 200 games, 100 from each side, with plausible results for two random players."
    res = play_vs_random(random_player(np.random.default_rng(7)), n_games=200, seed=3)
    for side in ('first', 'second'): assert sum(res[side].values()) == 100, res
    assert sum(res['all'].values()) == 200
    # random against random: the first player wins about 58.5%, the second about 28.8%, 12.7% are draws
    assert 40 <= res['first']['wins'] <= 75 and 15 <= res['second']['wins'] <= 45, res
    assert res['first']['wins'] > res['second']['wins'] and res['all']['draws'] < 40, res
    print(res)


def short_config(tmp_path: Path) -> Path:
    "The shipped config cut to 1000 steps, with its updates and self-play cadences scaled down to match."
    config = yaml.safe_load(CONFIG.read_text())
    b = config['behaviors'][BEHAVIOR]
    b.update(max_steps=1000, summary_freq=250, checkpoint_interval=1000)
    b['hyperparameters'].update(buffer_size=256, batch_size=64)
    b['self_play'].update(save_steps=200, swap_steps=100, team_change=400)
    path = tmp_path / 'short.yaml'
    path.write_text(yaml.safe_dump(config))
    return path


def test_short_self_play_run_is_evaluated(tmp_path):
    """A thousand steps of the shipped config scaled down: the opponents play, the rating is in stats.csv, the
    deterministic move is the exported model's, and the policy plays 200 legal games."""
    trainers, wall = train_tictactoe(tmp_path, 0, 'short', config=short_config(tmp_path))
    ghost = trainers[BEHAVIOR]
    assert list(trainers) == [BEHAVIOR] and ghost.get_step >= 1000 and ghost.ghost_step > 400
    elo = elo_values(tmp_path / 'short' / BEHAVIOR / 'stats.csv')
    assert len(elo) == 4 and elo[0][1] != elo[-1][1], elo
    from agents_nb.envs.pettingzoo import PettingZooEnv
    env = PettingZooEnv(GAME, num_areas=8, seed=0)          # the deterministic move is what the exported model gives
    dec, _ = env.get_steps(SIDES[0]); env.close()
    policy = ghost.policy
    with torch.no_grad(): exported = policy.actor(policy.obs_tensors(dec.obs), policy.action_masks(dec))[-1]
    assert np.array_equal(policy_player(policy)(dec), exported.numpy().reshape(-1))
    res = play_vs_random(policy_player(ghost.policy), n_games=200, seed=0)
    assert [sum(res[s].values()) for s in ('first', 'second', 'all')] == [100, 100, 200], res
    print(f'short run: {ghost.get_step} steps in {wall:.0f} s, ELO {elo[0][1]:.1f} -> {elo[-1][1]:.1f}; against random {res}')


@pytest.mark.slow
@pytest.mark.parametrize('seed', [0, 1])
def test_self_play_learns_tictactoe(seed, tmp_path):
    "The shipped config: the rating rises, and the policy wins at least 90% of 200 games against a random player."
    trainers, wall = train_tictactoe(tmp_path, seed, f'tictactoe_{seed}')
    ghost = trainers[BEHAVIOR]
    elo = elo_values(tmp_path / f'tictactoe_{seed}' / BEHAVIOR / 'stats.csv')
    res = play_vs_random(policy_player(ghost.policy), n_games=200, seed=0)
    print(f'tictactoe seed {seed}: {ghost.get_step} steps ({ghost.ghost_step} opponent steps) in {wall:.0f} s; '
          f'ELO {elo[0][1]:.1f} (step {elo[0][0]}) -> {elo[-1][1]:.1f} (step {elo[-1][0]}), max {max(e for _, e in elo):.1f}; '
          f'against random: {res}')
    max_steps = RunOptions.from_yaml(CONFIG).behaviors[BEHAVIOR].max_steps
    assert ghost.get_step >= max_steps and len(elo) >= 20, (ghost.get_step, max_steps, len(elo))
    assert elo[-1][1] > elo[0][1] + 50, f'the rating did not rise: {[(s, round(e)) for s, e in elo]}'
    assert sum(res['all'].values()) == 200 and res['all']['wins'] >= 180, res
