"""The shipped configs in `config/`: every file loads without a warning and names an environment of the registry,
and the configs for the built-in environments train their behavior past a mean reward of 0.9 (the last summary's
`Environment/Cumulative Reward` in stats.csv) with seed 1337. The Gymnasium configs are benchmarked in
tests/test_gym_benchmarks.py. The recurrent ones are slow: `pytest --runslow tests/test_builtin_configs.py`."""
import warnings
from pathlib import Path

import pytest
import torch

from agents_nb.learn import train
from agents_nb.settings import RunOptions, TrainerConfigWarning
from agents_nb.stats import read_stats_csv
from agents_nb.envs.registry import make_env, parse_env_args
from agents_nb.trainers.ghost import BehaviorIdentifiers

torch.set_num_threads(1)
CONFIG = Path(__file__).resolve().parents[1] / 'config'
SHIPPED = sorted(CONFIG.rglob('*.yaml'))
BUILTIN = [p for p in SHIPPED if 'builtin:' in p.read_text()]
SLOW = {'MemoryEnvironment'}


def test_the_configs_are_shipped():
    names = {f'{p.parent.name}/{p.name}' for p in SHIPPED}
    assert {'ppo/CartPole.yaml', 'gym/ppo_CartPole-v1.yaml', 'gym/sac_Pendulum-v1.yaml', 'ppo/SimpleEnvironment.yaml',
            'sac/SimpleEnvironment.yaml', 'ppo/MemoryEnvironment.yaml', 'sac/MemoryEnvironment.yaml'} <= names


@pytest.mark.parametrize('path', SHIPPED, ids=lambda p: f'{p.parent.name}/{p.name}')
def test_each_config_loads_and_its_environment_exists(path):
    with warnings.catch_warnings():
        warnings.simplefilter('error', TrainerConfigWarning)
        options = RunOptions.from_yaml(path)
    env_settings = options.env_settings
    assert env_settings.env_path, f'{path.name} names no environment'
    pytest.importorskip('gymnasium') if env_settings.env_path.startswith('gym:') else None
    env = make_env(env_settings.env_path, num_areas=1, seed=0, **parse_env_args(env_settings.env_args))
    names = {BehaviorIdentifiers.parse(b).brain_name for b in env.behavior_specs}   # teams `Name?team=k` share `Name`
    try: assert names <= set(options.behaviors), (list(env.behavior_specs), list(options.behaviors))
    finally: env.close()


@pytest.mark.parametrize('path', [pytest.param(p, marks=pytest.mark.slow) if p.stem in SLOW else p for p in BUILTIN],
                         ids=lambda p: f'{p.parent.name}/{p.name}')
def test_builtin_config_trains(path, tmp_path):
    trainers = train(str(path), '--run-id', 'r', '--results-dir', str(tmp_path), '--seed', '1337', '--torch-device', 'cpu',
                     print_fn=lambda *a, **k: None, progress=False)
    (name,) = trainers
    rows = [r for r in read_stats_csv(tmp_path / 'r' / name / 'stats.csv') if r['key'] == 'Environment/Cumulative Reward']
    assert rows and rows[-1]['value'] > 0.9, [(r['step'], round(r['value'], 3)) for r in rows]
