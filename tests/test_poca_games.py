"""POCA on real PettingZoo tasks, through the PettingZoo adapter and the training loop.

- Cooperation (slow): the shipped config/poca/simple_spread.yaml trains three agents of mpe2's `simple_spread_v3` (one
  group per area; `local_ratio` 0.5, 25 steps an episode). The trained policy's mean group return (the sum of the three
  agents' episode returns, over 400 episodes, actions sampled from the policy as in training) must beat a uniformly
  random policy's, measured in the same test on the same environment, by `MARGIN`. `Environment/Group Cumulative
  Reward` in stats.csv stays 0 here: the adapter keeps PettingZoo's rewards individual (`simple_spread` already mixes
  the shared reward into each agent's), so the group return is measured by playing. Slow:
  `pytest --runslow tests/test_poca_games.py` (about 4 minutes a seed on one core).
- Agents that leave (default, fast): a few thousand steps of POCA on butterfly's knights-archers-zombies, where archers
  and knights die mid-episode while their groupmates play on; the run has no error, POCA sees agents leave their
  group before it ends, and stats.csv, checkpoints and the final models are written."""
import time
from collections import defaultdict
from pathlib import Path
from typing import Callable

import numpy as np
import pytest
import torch
import yaml

from agents_nb.envs.base import ActionTuple, DecisionSteps
from agents_nb.learn import train
from agents_nb.settings import RunOptions
from agents_nb.stats import read_stats_csv

pytest.importorskip('pettingzoo')
torch.set_num_threads(1)  # tiny networks: one thread is faster, and leaves cores to others

CONFIG = Path(__file__).resolve().parents[1] / 'config' / 'poca' / 'simple_spread.yaml'
BEHAVIOR = 'agent'
MARGIN = 10.0   # group return above random's; measured: random about -80, trained about -58.6 (see the config's header)
KAZ = 'pettingzoo.butterfly.knights_archers_zombies_v11'


def quiet_train(config: Path, tmp_path: Path, run_id: str, seed: int, *flags: str):
    "Train `config` as `agents-nb-learn` does; the trainers and the seconds it took."
    start = time.time()
    trainers = train(str(config), '--run-id', run_id, '--results-dir', str(tmp_path), '--seed', str(seed),
                     '--torch-device', 'cpu', *flags, print_fn=lambda *a, **k: None, progress=False)
    return trainers, time.time() - start


# --- simple_spread: the mean group return of a player ---------------------------------------------------------------
def random_player(rng: np.random.Generator, n_actions: int = 5) -> Callable[[DecisionSteps], np.ndarray]:
    "Uniformly random moves (simple_spread's five: stay, left, right, down, up)."
    return lambda dec: rng.integers(0, n_actions, len(dec))

def policy_player(policy) -> Callable[[DecisionSteps], np.ndarray]:
    "A `TorchPolicy` acting as in training: actions sampled from its distribution."
    def act(dec: DecisionSteps) -> np.ndarray:
        with torch.no_grad(): return policy.get_action(dec).env_action.discrete.reshape(-1)
    return act

def group_returns(player, env_path: str, env_args, n_episodes: int = 400, seed: int = 0, num_areas: int = 20) -> np.ndarray:
    """The return of each of the first `n_episodes` finished group episodes of `player` on `env_path` (a `pettingzoo:`
    id with `env_args`, as in a config): the sum over the group's agents of their episode returns."""
    from agents_nb.envs.registry import make_env, parse_env_args
    env = make_env(env_path, num_areas=num_areas, seed=seed, **parse_env_args(env_args))
    n_agents = len(env.agents)
    running, finished, episodes = defaultdict(float), defaultdict(list), []
    try:
        while len(episodes) < n_episodes:
            dec, term = env.get_steps(BEHAVIOR)
            for i, g, r in zip(term.agent_id.tolist(), term.group_id.tolist(), term.reward.tolist()):
                finished[g].append(running.pop(i, 0.0) + r)
                if len(finished[g]) == n_agents: episodes.append(sum(finished.pop(g)))
            for i, r in zip(dec.agent_id.tolist(), dec.reward.tolist()): running[i] += r
            env.set_actions(BEHAVIOR, ActionTuple(discrete=np.asarray(player(dec)).reshape(-1, 1).astype(np.int32)))
            env.step()
    finally: env.close()
    return np.array(episodes[:n_episodes])


def test_random_group_return_on_simple_spread():
    "The evaluation counts whole group episodes; a random group's return is about -80 (each agent's about -27)."
    env = RunOptions.from_yaml(CONFIG).env_settings
    r = group_returns(random_player(np.random.default_rng(0)), env.env_path, env.env_args, n_episodes=100, seed=0)
    assert len(r) == 100 and -95 < r.mean() < -65, r.mean()


@pytest.mark.slow
@pytest.mark.parametrize('seed', [0, 1])
def test_poca_learns_simple_spread(seed, tmp_path):
    "The shipped config: the trained group's mean return beats a random group's by MARGIN (400 episodes each)."
    options = RunOptions.from_yaml(CONFIG)
    env = options.env_settings
    trainers, wall = quiet_train(CONFIG, tmp_path, f'spread_{seed}', seed)
    poca = trainers[BEHAVIOR]
    assert poca.get_step >= options.behaviors[BEHAVIOR].max_steps
    periods = [(r['step'], r['value']) for r in read_stats_csv(tmp_path / f'spread_{seed}' / BEHAVIOR / 'stats.csv')
               if r['key'] == 'Environment/Cumulative Reward']
    trained = group_returns(policy_player(poca.policy), env.env_path, env.env_args, seed=100 + seed)
    rand = group_returns(random_player(np.random.default_rng(seed)), env.env_path, env.env_args, seed=100 + seed)
    se = np.hypot(trained.std(), rand.std()) / np.sqrt(len(trained))
    print(f'simple_spread seed {seed}: {poca.get_step} steps in {wall:.0f} s; mean group return over {len(trained)} '
          f'episodes: POCA {trained.mean():.2f}, random {rand.mean():.2f}, difference {trained.mean() - rand.mean():.2f} '
          f'(standard error {se:.2f}); per-agent return by period {[(s, round(v, 1)) for s, v in periods]}')
    assert trained.mean() > rand.mean() + MARGIN, (trained.mean(), rand.mean())


# --- knights-archers-zombies: agents that die mid-episode -----------------------------------------------------------
def kaz_config(tmp_path: Path) -> Path:
    """POCA for both behaviors (archers, knights: each a group of two per area, four areas), 1600 steps each (200
    steps of the four areas). `line_death=True`: an agent that touches the top or bottom border dies too, so exploring
    agents leave their group often (random moves: about 10 times in 1000 area steps, about 4 with zombies alone)."""
    config = {
        'default_settings': {
            'trainer_type': 'poca',
            'hyperparameters': {'batch_size': 128, 'buffer_size': 512, 'learning_rate': 3.0e-4, 'num_epoch': 2},
            'network_settings': {'hidden_units': 32, 'num_layers': 1},
            'max_steps': 1600, 'time_horizon': 32, 'summary_freq': 400, 'checkpoint_interval': 800},
        'behaviors': {'archer': {}, 'knight': {}},
        'env_settings': {'env_path': f'pettingzoo:{KAZ}', 'num_areas': 4, 'env_args': ['max_cycles=200', 'line_death=True']}}
    path = tmp_path / 'kaz.yaml'
    path.write_text(yaml.safe_dump(config))
    return path


def test_poca_trains_with_agents_that_die(tmp_path, monkeypatch):
    """POCA on knights-archers-zombies: agents die while their groupmate plays on (trajectories that end before their
    group's), and the run writes stats.csv, checkpoints and final models for both behaviors."""
    pytest.importorskip('pymunk'); pytest.importorskip('pygame')
    from agents_nb.trainers.poca import POCATrainer
    seen = defaultdict(lambda: defaultdict(int))   # behavior -> what its trajectories showed
    process = POCATrainer._process_trajectory
    def counting(self, trajectory):
        b = self.brain_name
        seen[b]['trajectories'] += 1
        if trajectory.done_reached:
            seen[b]['episodes'] += 1
            if not trajectory.all_group_dones_reached: seen[b]['left before the group'] += 1
        return process(self, trajectory)
    monkeypatch.setattr(POCATrainer, '_process_trajectory', counting)
    trainers, wall = quiet_train(kaz_config(tmp_path), tmp_path, 'kaz', 0)
    print(f'knights-archers-zombies: {wall:.0f} s, steps {({b: t.get_step for b, t in trainers.items()})}, '
          f'trajectories {({b: dict(v) for b, v in seen.items()})}')
    assert set(trainers) == {'archer', 'knight'} and all(isinstance(t, POCATrainer) for t in trainers.values())
    assert all(t.get_step >= 1600 for t in trainers.values())
    left = sum(v['left before the group'] for v in seen.values())
    assert left >= 2, f'no agent left its group mid-episode: {dict(seen)}'
    run = tmp_path / 'kaz'
    for b in ('archer', 'knight'):
        rows = read_stats_csv(run / b / 'stats.csv')
        keys = {r['key'] for r in rows}
        assert {'Environment/Cumulative Reward', 'Losses/Policy Loss', 'Losses/Value Loss', 'Losses/Baseline Loss'} <= keys, keys
        assert all(np.isfinite(r['value']) for r in rows if r['key'].startswith('Losses/'))
        assert (run / b / 'checkpoint.pt').exists() and list((run / b).glob(f'{b}-*.pt')) and (run / f'{b}.onnx').exists()
    assert (run / 'run_logs' / 'training_status.json').exists()
