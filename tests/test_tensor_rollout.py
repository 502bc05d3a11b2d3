"""PPO on a tensor environment with the rollout on the device (`agents_nb.trainers.tensor`): it learns, it is the same
training as the ordinary loop, and the CLI uses it for `builtin:TensorCartPole`."""
import json, shutil, subprocess, tempfile
from pathlib import Path
import numpy as np
import pytest
import torch
from agents_nb.envs.tensor import TensorCartPole
from agents_nb.settings import RunOptions, TrainerSettings
from agents_nb.stats import StatsRegistry
from agents_nb.trainer import drive_trainer
from agents_nb.trainers.ppo import PPOTrainer
from agents_nb.trainers.tensor import TensorRollout

# w1's rl-zoo settings on 16 copies with a 1024-step buffer and 10 epochs: 77k, 150k and 140k steps to a mean of 475
# over 20 episodes for seeds 0, 1, 2 (measured on this 2-core machine, 8-15 s each)
CARTPOLE = {'trainer_type': 'ppo', 'time_horizon': 32, 'max_steps': 200_000, 'summary_freq': 10 ** 9, 'checkpoint_interval': 10 ** 9,
            'hyperparameters': {'batch_size': 256, 'buffer_size': 1024, 'num_epoch': 10, 'learning_rate': 1e-3, 'lambd': 0.8, 'beta': 0.0},
            'network_settings': {'hidden_units': 64}, 'reward_signals': {'extrinsic': {'gamma': 0.98}}}


def trainer_for(settings, seed, tmp):
    return PPOTrainer('CartPole', TrainerSettings.from_dict(settings), seed=seed, stats_registry=StatsRegistry(),
                      artifact_path=Path(tmp) / 'CartPole')


def solve_step(seed, tmp, copies=16):
    "The step at which the last 20 episodes average 475, or None within max_steps."
    trainer = trainer_for(CARTPOLE, seed, tmp)
    rollout = TensorRollout(trainer, TensorCartPole(num_envs=copies, seed=seed))
    while trainer.should_still_train:
        rollout.run(20)
        returns = trainer.stats_reporter.get_stats_summaries('Environment/Cumulative Reward').full_dist
        if len(returns) >= 20 and np.mean(returns[-20:]) >= 475: return trainer.get_step
    return None


def test_solves_cartpole(tmp_path):
    torch.set_num_threads(1)
    assert solve_step(0, tmp_path) is not None


@pytest.mark.slow
@pytest.mark.parametrize('seed', [1, 2])
def test_solves_cartpole_other_seeds(seed, tmp_path):
    torch.set_num_threads(1)
    assert solve_step(seed, tmp_path) is not None


def test_same_training_as_the_ordinary_loop_at_scale(tmp_path):
    "64 copies, several updates of w3's shape: the networks of both loops agree to float rounding."
    torch.set_num_threads(1)
    settings = {**CARTPOLE, 'time_horizon': 16, 'hyperparameters': {**CARTPOLE['hyperparameters'], 'buffer_size': 1024, 'num_epoch': 3}}
    ordinary = trainer_for(settings, 5, tmp_path / 'a')
    drive_trainer(TensorCartPole(num_envs=64, seed=5), 'CartPole', ordinary, 100)
    tensor = trainer_for(settings, 5, tmp_path / 'b')
    TensorRollout(tensor, TensorCartPole(num_envs=64, seed=5)).run(100)
    updates = len(ordinary.stats_reporter.get_stats_summaries('Losses/Policy Loss').full_dist)
    assert updates >= 4 and updates == len(tensor.stats_reporter.get_stats_summaries('Losses/Policy Loss').full_dist)
    for a, b in zip(list(ordinary.policy.actor.parameters()) + list(ordinary.optimizer.critic.parameters()),
                    list(tensor.policy.actor.parameters()) + list(tensor.optimizer.critic.parameters())):
        assert torch.allclose(a, b, atol=1e-4), (a - b).abs().max()


@pytest.mark.parametrize('extra', [{'shared_critic': True}, {'learning_rate_schedule': 'constant', 'epsilon_schedule': 'constant'}])
def test_same_training_with_other_settings(extra, tmp_path):
    "A shared actor-critic (the actor is the critic) and constant schedules train the same networks both ways too."
    torch.set_num_threads(1)
    settings = {**CARTPOLE, 'time_horizon': 8, 'network_settings': {'hidden_units': 16},
                'hyperparameters': {**CARTPOLE['hyperparameters'], 'batch_size': 16, 'buffer_size': 48, 'num_epoch': 2, **extra}}
    ordinary = trainer_for(settings, 3, tmp_path / 'a')
    drive_trainer(TensorCartPole(num_envs=4, seed=7), 'CartPole', ordinary, 120)
    tensor = trainer_for(settings, 3, tmp_path / 'b')
    TensorRollout(tensor, TensorCartPole(num_envs=4, seed=7)).run(120)
    assert len(ordinary.stats_reporter.get_stats_summaries('Losses/Policy Loss').full_dist) >= 5
    for a, b in zip(ordinary.optimizer.get_modules()['Optimizer:critic'].parameters(), tensor.optimizer.get_modules()['Optimizer:critic'].parameters()):
        assert torch.allclose(a, b, atol=1e-4), (a - b).abs().max()
    for a, b in zip(ordinary.policy.actor.parameters(), tensor.policy.actor.parameters()):
        assert torch.allclose(a, b, atol=1e-4), (a - b).abs().max()


def test_environment_parameters_run_the_ordinary_loop(tmp_path):
    "A curriculum over TensorCartPole's gravity: the controller says it uses the ordinary loop, and the lesson's value reaches the copies."
    from agents_nb.controller import run_training
    options = RunOptions.from_dict({
        'behaviors': {'CartPole': {'trainer_type': 'ppo', 'max_steps': 1200, 'summary_freq': 600, 'time_horizon': 16,
                                   'hyperparameters': {'batch_size': 64, 'buffer_size': 128}, 'network_settings': {'hidden_units': 16}}},
        'environment_parameters': {'gravity': {'curriculum': [
            {'name': 'light', 'value': 5.0, 'completion_criteria': {'behavior': 'CartPole', 'measure': 'progress', 'threshold': 0.25}},
            {'name': 'heavy', 'value': 15.0}]}},
        'env_settings': {'seed': 1}, 'checkpoint_settings': {'run_id': 'g', 'results_dir': str(tmp_path)},
        'torch_settings': {'device': 'cpu'}})
    env, lines = TensorCartPole(num_envs=8, seed=0), []
    run_training(options, env=env, print_fn=lines.append, console=False, progress=False, tensorboard=False)
    assert 'CartPole: the ordinary loop (tensor rollout: environment_parameters are not supported)' in lines
    assert env.param('gravity').tolist() == [15.0] * 8, env.param('gravity')   # every copy started an episode of the second lesson


EXE = shutil.which('agents-nb-learn')


@pytest.mark.skipif(EXE is None, reason='agents-nb-learn is not installed (pip install -e .)')
def test_cli_trains_a_tensor_environment(tmp_path):
    (tmp_path / 'cfg.yaml').write_text(
        'behaviors:\n  CartPole:\n    trainer_type: ppo\n    max_steps: 4000\n    summary_freq: 2000\n    time_horizon: 16\n'
        '    hyperparameters: {batch_size: 128, buffer_size: 512}\n    network_settings: {hidden_units: 32}\n')
    r = subprocess.run([EXE, 'cfg.yaml', '--env', 'builtin:TensorCartPole', '--num-areas', '32', '--run-id', 't', '--seed', '1'],
                       cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    assert 'CartPole: tensor rollout of 32 copies on cpu' in r.stdout
    run = tmp_path / 'results' / 't'
    assert (run / 'CartPole.onnx').exists() and (run / 'CartPole' / 'checkpoint.pt').exists()
    status = json.loads((run / 'run_logs' / 'training_status.json').read_text())
    assert status['CartPole']['final_checkpoint']['steps'] > 4000
    # resuming continues from the checkpoint, through the tensor rollout again
    (tmp_path / 'cfg.yaml').write_text((tmp_path / 'cfg.yaml').read_text().replace('max_steps: 4000', 'max_steps: 6000'))
    r = subprocess.run([EXE, 'cfg.yaml', '--env', 'builtin:TensorCartPole', '--num-areas', '32', '--run-id', 't', '--resume'],
                       cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    status = json.loads((run / 'run_logs' / 'training_status.json').read_text())
    assert status['CartPole']['final_checkpoint']['steps'] > 6000


@pytest.mark.skipif(EXE is None, reason='agents-nb-learn is not installed (pip install -e .)')
def test_cli_trains_gymnasium_and_the_walk_through_the_tensor_rollout(tmp_path):
    "A Gymnasium id (one environment worker, in this process) and the built-in walk take the tensor rollout, SAC does not."
    (tmp_path / 'cfg.yaml').write_text(
        'behaviors:\n  CartPole:\n    trainer_type: ppo\n    max_steps: 3000\n    summary_freq: 1500\n    time_horizon: 32\n'
        '    hyperparameters: {batch_size: 128, buffer_size: 512}\n    network_settings: {hidden_units: 32}\n'
        '  1D:\n    trainer_type: ppo\n    max_steps: 600\n    summary_freq: 300\n    time_horizon: 64\n'
        '    hyperparameters: {batch_size: 16, buffer_size: 64}\n    network_settings: {hidden_units: 16, num_layers: 1}\n')
    for env, areas, line in (('gym:CartPole-v1', '8', 'CartPole: tensor rollout of 8 copies on cpu'),
                             ('builtin:SimpleEnvironment', '1', '1D: tensor rollout of 1 copy on cpu')):
        r = subprocess.run([EXE, 'cfg.yaml', '--env', env, '--num-areas', areas, '--run-id', env.split(':')[1], '--seed', '1'],
                           cwd=tmp_path, capture_output=True, text=True, timeout=300)
        assert r.returncode == 0, r.stderr
        assert line in r.stdout, r.stdout[-2000:]
        behavior = line.split(':')[0]
        assert (tmp_path / 'results' / env.split(':')[1] / f'{behavior}.onnx').exists()
    (tmp_path / 'sac.yaml').write_text('behaviors:\n  Pendulum:\n    trainer_type: sac\n    max_steps: 300\n    summary_freq: 300\n'
                                       '    hyperparameters: {buffer_init_steps: 100, batch_size: 32}\n    network_settings: {hidden_units: 16}\n')
    r = subprocess.run([EXE, 'sac.yaml', '--env', 'gym:Pendulum-v1', '--run-id', 'sac', '--seed', '1'], cwd=tmp_path,
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    assert 'Pendulum: the ordinary loop (tensor rollout: the sac trainer is not supported (PPO only))' in r.stdout, r.stdout[-2000:]
