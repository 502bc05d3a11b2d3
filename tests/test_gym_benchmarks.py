"""Gymnasium benchmarks for the shipped configs in `config/gym`, each for seeds 0, 1 and 2: PPO reaches a mean return
of 475 on CartPole-v1 within 100k steps, and SAC reaches -200 on Pendulum-v1 within 20k steps. The return checked is
`Environment/Cumulative Reward` in the run's stats.csv: the mean episode return of each summary period. Slow: run
them with `pytest --runslow tests/test_gym_benchmarks.py` (about 10 minutes on 2 cores)."""
import time
from pathlib import Path

import pytest
import torch

from agents_nb.learn import train
from agents_nb.settings import RunOptions
from agents_nb.stats import read_stats_csv

pytest.importorskip('gymnasium')
torch.set_num_threads(1)  # tiny networks; one thread leaves the other core to the environment

CONFIGS = Path(__file__).resolve().parents[1] / 'config' / 'gym'
REWARD_KEY = 'Environment/Cumulative Reward'
# config file, behavior name, return to reach, step budget
BENCHMARKS = {'ppo_CartPole': ('ppo_CartPole-v1.yaml', 'CartPole', 475.0, 100_000),
              'sac_Pendulum': ('sac_Pendulum-v1.yaml', 'Pendulum', -200.0, 20_000)}


def first_step_reaching(stats_path: Path, threshold: float):
    "The (step, return) of the first summary period whose mean episode return is >= `threshold`, else None; and all periods."
    rows = [(r['step'], r['value']) for r in read_stats_csv(stats_path) if r['key'] == REWARD_KEY]
    return next(((s, v) for s, v in rows if v >= threshold), None), rows


@pytest.mark.slow
@pytest.mark.parametrize('seed', [0, 1, 2])
@pytest.mark.parametrize('benchmark', list(BENCHMARKS))
def test_gym_benchmark(benchmark, seed, tmp_path):
    config_name, behavior, threshold, budget = BENCHMARKS[benchmark]
    config = CONFIGS / config_name
    max_steps = RunOptions.from_argv([str(config)]).behaviors[behavior].max_steps
    assert max_steps <= budget, f'{config_name} trains for {max_steps} steps, more than the budget of {budget}'
    run_id = f'{benchmark}_{seed}'
    start = time.time()
    trainers = train(str(config), '--run-id', run_id, '--results-dir', str(tmp_path), '--seed', str(seed),
                     '--torch-device', 'cpu', print_fn=lambda *args, **kwargs: None, progress=False)
    wall = time.time() - start
    assert behavior in trainers
    reached, rows = first_step_reaching(tmp_path / run_id / behavior / 'stats.csv', threshold)
    periods = ' '.join(f'{s}:{v:.0f}' for s, v in rows)
    print(f'{benchmark} seed {seed}: reached {threshold} at step {reached[0] if reached else None}, '
          f'final {rows[-1][1] if rows else None}, {wall:.0f} s wall; periods {periods}')
    assert rows, 'no episode finished'
    assert reached is not None and reached[0] <= budget, \
        f'{benchmark} seed {seed} did not reach a mean return of {threshold} within {budget} steps: {periods}'
