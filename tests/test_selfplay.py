"""ML-Agents' self-play acceptance tests (`torch_entities/test_simple_rl.py`: test_simple_ghost, test_simple_ghost_fails,
test_simple_asymm_ghost, test_simple_asymm_ghost_fails) through the training loop (`run_training`, as ML-Agents'
`check_environment_trains` runs its TrainerController): the same environments, configurations, step budgets, thresholds
and training seed 1337. The threshold is on the mean of the last 5 cumulative episode rewards (`env.final_rewards`) of
every brain. Also: the ELO rating survives `--resume` through `run_logs/training_status.json`."""
import copy, json, math
from pathlib import Path
from typing import Dict, Optional

import numpy as np
import pytest
import torch

from agents_nb.core import TrainerConfigWarning
from agents_nb.settings import RunOptions
from agents_nb.controller import run_training
from agents_nb.envs.simple import SimpleEnvironment
from agents_nb.trainers.ghost import GhostTrainer
from rl_configs import BRAIN_NAME, ACTIONS, act_id, ppo_dummy_config, evolve

torch.set_num_threads(1)  # tiny networks: one thread is faster, and leaves cores to others

# the continuous walk of the two symmetric tests runs by default (about 10 s each); everything else is slow
ACTIONS_ONE_FAST = [pytest.param((0, 1), marks=pytest.mark.slow), (1, 0)]


def last5(rewards) -> float: return float(np.mean(rewards[-5:])) if rewards else math.nan

def check_environment_trains(env, configs: Dict[str, dict], tmp_path: Path, success_threshold: Optional[float] = 0.9,
                             training_seed: int = 1337, run_id: str = 'run', resume: bool = False, **kwargs):
    "Train every behavior of `env` with `run_training`; assert every brain's last-5 mean > threshold; return the means."
    options = RunOptions.from_dict({'behaviors': configs, 'env_settings': {'seed': training_seed},
                                    'torch_settings': {'device': 'cpu'},
                                    'checkpoint_settings': {'run_id': run_id, 'results_dir': str(tmp_path), 'resume': resume}})
    trainers = run_training(options, env=env, console=False, tensorboard=False, progress=False, **kwargs)
    means = {name: last5(r) for name, r in env.final_rewards.items()}
    summary = {name: f'{m:.3f} ({len(env.final_rewards[name])} episodes)' for name, m in means.items()}
    print(f'steps {({n: t.get_step for n, t in trainers.items()})}, last-5 means {summary}')
    if success_threshold is not None:
        for name, m in means.items():
            assert not math.isnan(m) and m > success_threshold, \
                f'{name}: mean of the last 5 final rewards {m:.3f} <= {success_threshold}; ' \
                f'last rewards {[round(r, 3) for r in env.final_rewards[name][-10:]]}'
    return means, trainers

def one_above_one_below(means: Dict[str, float], threshold: float = 0.9) -> bool:
    return any(m > threshold for m in means.values()) and any(m < threshold for m in means.values())


@pytest.mark.parametrize('action_sizes', ACTIONS_ONE_FAST, ids=act_id)
def test_simple_ghost(action_sizes, tmp_path):
    env = SimpleEnvironment([BRAIN_NAME + '?team=0', BRAIN_NAME + '?team=1'], action_sizes=action_sizes)
    self_play = {'play_against_latest_model_ratio': 1.0, 'save_steps': 2000, 'swap_steps': 2000}
    config = evolve(ppo_dummy_config(), self_play=self_play, max_steps=2500)
    with pytest.warns(TrainerConfigWarning, match=r'team_change \(10000\) is larger than max_steps \(2500\)'):
        _, trainers = check_environment_trains(env, {BRAIN_NAME: config}, tmp_path)
    assert isinstance(trainers[BRAIN_NAME], GhostTrainer) and list(trainers) == [BRAIN_NAME]


@pytest.mark.parametrize('action_sizes', ACTIONS_ONE_FAST, ids=act_id)
def test_simple_ghost_fails(action_sizes, tmp_path):
    # the opponent is never swapped for a competent policy: its first swap would come after max_steps
    env = SimpleEnvironment([BRAIN_NAME + '?team=0', BRAIN_NAME + '?team=1'], action_sizes=action_sizes)
    self_play = {'play_against_latest_model_ratio': 1.0, 'save_steps': 2000, 'swap_steps': 4000}
    config = evolve(ppo_dummy_config(), self_play=self_play, max_steps=2500)
    with pytest.warns(TrainerConfigWarning, match=r'team_change \(10000\) is larger than max_steps \(2500\)'):
        means, trainers = check_environment_trains(env, {BRAIN_NAME: config}, tmp_path, success_threshold=None)
    assert one_above_one_below(means), means
    assert means[BRAIN_NAME + '?team=0'] > 0.9 and trainers[BRAIN_NAME].ghost_step > 2000   # the learner is team 0


@pytest.mark.slow
@pytest.mark.parametrize('action_sizes', ACTIONS, ids=act_id)
def test_simple_asymm_ghost(action_sizes, tmp_path):
    brain_name_opp = BRAIN_NAME + 'Opp'
    env = SimpleEnvironment([BRAIN_NAME + '?team=0', brain_name_opp + '?team=1'], action_sizes=action_sizes)
    self_play = {'play_against_latest_model_ratio': 1.0, 'save_steps': 10000, 'swap_steps': 10000, 'team_change': 400}
    config = evolve(ppo_dummy_config(), self_play=self_play, max_steps=4000)
    _, trainers = check_environment_trains(env, {BRAIN_NAME: config, brain_name_opp: config}, tmp_path)
    assert trainers[BRAIN_NAME].controller is trainers[brain_name_opp].controller    # one GhostController per run


@pytest.mark.slow
@pytest.mark.parametrize('action_sizes', ACTIONS, ids=act_id)
def test_simple_asymm_ghost_fails(action_sizes, tmp_path):
    # the team not learning when both reached max_steps plays a random snapshot, and the ring holds only the initial weights
    brain_name_opp = BRAIN_NAME + 'Opp'
    env = SimpleEnvironment([BRAIN_NAME + '?team=0', brain_name_opp + '?team=1'], action_sizes=action_sizes)
    self_play = {'play_against_latest_model_ratio': 0.0, 'save_steps': 5000, 'swap_steps': 5000, 'team_change': 2000}
    config = evolve(ppo_dummy_config(), self_play=self_play, max_steps=3000)
    means, _ = check_environment_trains(env, {BRAIN_NAME: config, brain_name_opp: config}, tmp_path, success_threshold=None)
    assert one_above_one_below(means), means


def test_elo_resumes_from_training_status(tmp_path):
    "The rating is saved to training_status.json and a resumed run starts from it (then saves where it ended)."
    config = evolve(ppo_dummy_config(), max_steps=600, summary_freq=300,
                    self_play={'save_steps': 100, 'swap_steps': 100, 'team_change': 200, 'initial_elo': 1000.0})
    status_path = tmp_path / 'elo' / 'run_logs' / 'training_status.json'
    env = SimpleEnvironment([BRAIN_NAME + '?team=0', BRAIN_NAME + '?team=1'])
    _, trainers = check_environment_trains(env, {BRAIN_NAME: config}, tmp_path, success_threshold=None, run_id='elo',
                                           elo_k_factor=16.0)
    first = trainers[BRAIN_NAME]
    saved = json.loads(status_path.read_text())[BRAIN_NAME]['elo']
    assert saved == pytest.approx(first.current_elo) and abs(saved - 1000.0) > 1.0, saved   # K=16 moves it visibly
    step = first.get_step

    env = SimpleEnvironment([BRAIN_NAME + '?team=0', BRAIN_NAME + '?team=1'])
    resumed_config = evolve(config, max_steps=1200)
    _, trainers = check_environment_trains(env, {BRAIN_NAME: resumed_config}, tmp_path, success_threshold=None, run_id='elo',
                                           resume=True, elo_k_factor=16.0)
    second = trainers[BRAIN_NAME]
    assert second.initial_elo == pytest.approx(saved)                   # not initial_elo: the saved rating
    assert second.get_step > 1200 > step                                # the wrapped trainer resumed its checkpoint too
    assert json.loads(status_path.read_text())[BRAIN_NAME]['elo'] == pytest.approx(second.current_elo)

    env = SimpleEnvironment([BRAIN_NAME + '?team=0', BRAIN_NAME + '?team=1'])   # a new run starts from initial_elo
    with pytest.warns(TrainerConfigWarning, match=r'team_change \(200\) is larger than max_steps \(50\)'):
        _, trainers = check_environment_trains(env, {BRAIN_NAME: evolve(config, max_steps=50)}, tmp_path,
                                               success_threshold=None, run_id='fresh')
    assert trainers[BRAIN_NAME].initial_elo == 1000.0


def test_turn_based_pettingzoo_self_play(tmp_path):
    "Connect Four through the PettingZoo adapter: two teams `player?team=k`, one trainer, real wins and losses rated."
    pytest.importorskip('pettingzoo')
    from agents_nb.envs.registry import make_env
    config = {'trainer_type': 'ppo', 'max_steps': 2000, 'summary_freq': 500, 'time_horizon': 64,
              'hyperparameters': {'batch_size': 32, 'buffer_size': 256, 'learning_rate': 3e-4},
              'network_settings': {'hidden_units': 32, 'num_layers': 1, 'vis_encode_type': 'fully_connected'},
              'self_play': {'save_steps': 300, 'swap_steps': 300, 'team_change': 500, 'window': 4,
                            'play_against_latest_model_ratio': 0.5}}
    teams, controllers = [], []
    def watch(c):
        if not controllers: controllers.append(c)
        teams.append(c.factory.ghost_controller.learning_team)
    env = make_env('pettingzoo:pettingzoo.classic.connect_four_v3', seed=0)
    options = RunOptions.from_dict({'behaviors': {'player': config}, 'env_settings': {'seed': 0}, 'torch_settings': {'device': 'cpu'},
                                    'checkpoint_settings': {'run_id': 'c4', 'results_dir': str(tmp_path)}})
    lines = []
    try: trainers = run_training(options, env=env, print_fn=lines.append, tensorboard=False, progress=False, on_step=watch,
                                 elo_k_factor=16.0)
    finally: env.close()
    ghost, ctl = trainers['player'], controllers[0]
    assert list(trainers) == ['player'] and sorted(ctl.processors) == ['player?team=0', 'player?team=1']
    changes = sum(a != b for a, b in zip(teams, teams[1:]))
    assert changes >= 3 and ctl.resets == changes, (changes, ctl.resets)            # every change reset the board
    assert 2000 < ghost.get_step and ghost.ghost_step > 1000 and len(ghost.snapshots) == 4
    summaries = [l for l in lines if l.startswith('player. Step:')]
    assert len(summaries) == 4 and all('. ELO: ' in l for l in summaries), summaries
    assert abs(ghost.current_elo - 1200.0) > 1.0, ghost.policy_elos                 # decided games moved the rating
    status = json.loads((tmp_path / 'c4' / 'run_logs' / 'training_status.json').read_text())
    assert status['player']['elo'] == pytest.approx(ghost.current_elo)


def test_threaded_self_play_advances_in_the_loop_thread(tmp_path):
    "`threaded: true` on a self-play behavior: a warning, and the run trains in the controller's thread."
    config = evolve(ppo_dummy_config(), max_steps=300, threaded=True,
                    self_play={'save_steps': 100, 'swap_steps': 100, 'team_change': 150})
    env = SimpleEnvironment([BRAIN_NAME + '?team=0', BRAIN_NAME + '?team=1'])
    with pytest.warns(TrainerConfigWarning, match="a self-play trainer advances in the training loop's thread"):
        _, trainers = check_environment_trains(env, {BRAIN_NAME: config}, tmp_path, success_threshold=None)
    ghost = trainers[BRAIN_NAME]
    assert not ghost.threaded and not ghost.wrapped.threaded and 300 < ghost.get_step <= 400 and ghost.ghost_step > 150
