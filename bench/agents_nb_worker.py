"""One agents_nb training run of a benchmark workload, in this process; prints one JSON line (bench/common.py).

    python bench/agents_nb_worker.py --workload w1 --seed 0 [--max-steps N] [--torch-compile] [--set hyperparameters.buffer_size=255 ...]

Workloads (the settings are in WORKLOADS below, each next to its peer's):
  w1          PPO CartPole-v1, rl-zoo's settings (8 areas, horizon 32, buffer 256, batch 256, 20 epochs, 2x64, lr 1e-3 linear,
              gamma 0.98, lambda 0.8, beta 0, epsilon 0.2 linear), 100k steps
  w2          SAC Pendulum-v1, rl-zoo's settings (lr 1e-3, batch 256, one update per step, 2x256, tau 0.005, 100 steps
              before updates, entropy coefficient from 1.0), 20k steps
  w3          PPO CartPole-v1 with 64 areas and a large buffer (horizon 64, buffer 4096, batch 1024, 4 epochs), 200k steps
  w4_test     PPO on SimpleEnvironment, ML-Agents' test config (dummy_config), 3000 steps
  w4_default  PPO on SimpleEnvironment, ML-Agents' default PPO settings, 15000 steps
  w5          PPO on TensorCartPole with 4096 copies (horizon 16, buffer 65536, batch 8192, 4 epochs, otherwise w1's
              settings), 2M steps: the tensor rollout with thousands of agents

--env-kind tensor runs w1/w3 on agents_nb's TensorCartPole (CartPole-v1 as a batched tensor environment) instead of
Gymnasium's, which the controller trains through the tensor rollout; --env-kind tensor_ordinary runs the same
TensorCartPole through the ordinary loop (agent processor, trajectories), to separate the environment from the loop.
--device cuda puts the tensor environment and the trainer on the GPU.

Episodes are recorded outside the trainer with the same rule as the peers: a Gymnasium environment's vector step is
wrapped (numpy, once per vector step, no per-area Python loop); environment steps are transitions summed over areas.
The timed span is the training loop (first to last environment step), not imports, setup or the final ONNX export.
"""
from __future__ import annotations

import argparse
import copy
import os
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import EpisodeLog, emit, one_thread  # noqa: E402

one_thread()
import numpy as np  # noqa: E402

PPO_ZOO_CARTPOLE = {
    'trainer_type': 'ppo',
    'hyperparameters': {'batch_size': 256, 'buffer_size': 256, 'learning_rate': 1.0e-3, 'learning_rate_schedule': 'linear',
                        'beta': 0.0, 'epsilon': 0.2, 'lambd': 0.8, 'num_epoch': 20},
    'network_settings': {'normalize': False, 'hidden_units': 64, 'num_layers': 2},
    'reward_signals': {'extrinsic': {'gamma': 0.98, 'strength': 1.0}},
    'max_steps': 100_000, 'time_horizon': 32, 'summary_freq': 10_000_000, 'checkpoint_interval': 10_000_000}

SAC_ZOO_PENDULUM = {
    'trainer_type': 'sac',
    'hyperparameters': {'batch_size': 256, 'buffer_size': 1_000_000, 'buffer_init_steps': 100, 'learning_rate': 1.0e-3,
                        'learning_rate_schedule': 'constant', 'tau': 0.005, 'steps_per_update': 1, 'init_entcoef': 1.0,
                        'save_replay_buffer': False},
    'network_settings': {'normalize': False, 'hidden_units': 256, 'num_layers': 2},
    'reward_signals': {'extrinsic': {'gamma': 0.99, 'strength': 1.0}},
    'max_steps': 20_000, 'time_horizon': 64, 'summary_freq': 10_000_000, 'checkpoint_interval': 10_000_000}

PPO_CARTPOLE_64 = copy.deepcopy(PPO_ZOO_CARTPOLE)
PPO_CARTPOLE_64['hyperparameters'].update(batch_size=1024, buffer_size=4096, num_epoch=4)
PPO_CARTPOLE_64.update(time_horizon=64, max_steps=200_000)

PPO_CARTPOLE_4096 = copy.deepcopy(PPO_ZOO_CARTPOLE)
PPO_CARTPOLE_4096['hyperparameters'].update(batch_size=8192, buffer_size=65536, num_epoch=4)
PPO_CARTPOLE_4096.update(time_horizon=16, max_steps=2_000_000)

# ML-Agents' tests/dummy_config.py ppo_dummy_config (beta and epsilon schedules stay linear there)
PPO_MLA_TEST = {
    'trainer_type': 'ppo',
    'hyperparameters': {'learning_rate': 5.0e-3, 'learning_rate_schedule': 'constant', 'beta_schedule': 'linear',
                        'epsilon_schedule': 'linear', 'batch_size': 16, 'buffer_size': 64},
    'network_settings': {'num_layers': 1, 'hidden_units': 32},
    'max_steps': 3000, 'summary_freq': 10_000_000, 'checkpoint_interval': 10_000_000, 'threaded': False}
PPO_MLA_DEFAULT = {'trainer_type': 'ppo', 'max_steps': 15_000, 'summary_freq': 10_000_000,
                   'checkpoint_interval': 10_000_000, 'threaded': False}

# workload -> (environment, areas, behavior settings, window, threshold)
WORKLOADS = {
    'w1': ('gym:CartPole-v1', 8, PPO_ZOO_CARTPOLE, 20, 475.0),
    'w2': ('gym:Pendulum-v1', 1, SAC_ZOO_PENDULUM, 10, -200.0),
    'w3': ('gym:CartPole-v1', 64, PPO_CARTPOLE_64, 20, 475.0),
    'w4_test': ('simple', 1, PPO_MLA_TEST, 5, 0.9),
    'w4_default': ('simple', 1, PPO_MLA_DEFAULT, 5, 0.9),
    'w5': ('tensor:CartPole', 4096, PPO_CARTPOLE_4096, 20, 475.0),
}


def _set(d: dict, dotted: str, value):
    keys = dotted.split('.')
    for k in keys[:-1]: d = d.setdefault(k, {})
    d[keys[-1]] = value


def record_gym_episodes(env, log: EpisodeLog, counter: dict):
    "Wrap `env.venv.step` to sum rewards per area and log each finished episode at the transition count it ended."
    step, n = env.venv.step, env.num_areas
    ret = np.zeros(n, np.float64)

    def logged_step(actions):
        out = step(actions)
        counter['steps'] += n
        ret[:] += out[1]
        done = np.logical_or(out[2], out[3])
        if done.any():
            for i in np.flatnonzero(done): log.add(ret[i], counter['steps'])
            ret[done] = 0.0
        return out
    env.venv.step = logged_step


def record_steps_episodes(env, log: EpisodeLog, counter: dict, behavior: str):
    "Wrap a `BaseEnv`'s `step` (one behavior): sum rewards per agent id, log episodes when their terminal step comes."
    step, returns = env.step, {}

    def logged_step():
        dec_before, _ = env.get_steps(behavior)
        counter['steps'] += len(dec_before)
        step()
        dec, term = env.get_steps(behavior)
        for aid, r in zip(term.agent_id, term.reward):
            log.add(returns.pop(int(aid), 0.0) + float(r), counter['steps'])
        for aid, r in zip(dec.agent_id, dec.reward):
            returns[int(aid)] = returns.get(int(aid), 0.0) + float(r)
    env.step = logged_step


def record_tensor_episodes(env, log: EpisodeLog, counter: dict):
    "Wrap a TensorEnv's `step_tensors` to sum rewards per copy and log each finished episode (one host copy of the flags per step)."
    import torch
    step, n = env.step_tensors, env.num_envs
    ret = torch.zeros(n, dtype=torch.float64, device=env.device)

    def logged_step(*a, **k):
        out = step(*a, **k)
        counter['steps'] += n
        ret.add_(out.reward)
        done = (out.terminated | out.truncated)
        idx = torch.nonzero(done).flatten()
        if len(idx):
            for r in ret[idx].tolist(): log.add(r, counter['steps'])
            ret[idx] = 0.0
        return out
    env.step_tensors = logged_step


def main():
    p = argparse.ArgumentParser()
    p.add_argument('--workload', required=True, choices=sorted(WORKLOADS))
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--max-steps', type=int, default=None, help='override the step budget')
    p.add_argument('--set', action='append', default=[], metavar='KEY=VALUE',
                   help='override a behavior setting, e.g. hyperparameters.buffer_size=255 (value read as YAML)')
    p.add_argument('--stop-when-solved', action='store_true', help='stop at the threshold (time-to-solve runs)')
    p.add_argument('--torch-compile', action='store_true', help='torch_settings.compile: the losses through torch.compile '
                   '(the compilation falls inside the timed span)')
    p.add_argument('--env-kind', choices=['gym', 'tensor', 'tensor_ordinary'], default=None,
                   help="CartPole workloads: Gymnasium's (default for w1, w3), TensorCartPole through the tensor rollout "
                        '(default for w5), or TensorCartPole through the ordinary loop')
    p.add_argument('--device', default='cpu', help='torch device of the trainer (and of a tensor environment)')
    args = p.parse_args()

    import yaml
    import torch
    import agents_nb
    from agents_nb.settings import RunOptions
    from agents_nb.controller import run_training

    env_id, areas, behavior_cfg, window, threshold = WORKLOADS[args.workload]
    behavior_cfg = copy.deepcopy(behavior_cfg)
    if args.max_steps: behavior_cfg['max_steps'] = args.max_steps
    for kv in args.set:
        k, _, v = kv.partition('=')
        _set(behavior_cfg, k, yaml.safe_load(v))

    log, counter = EpisodeLog(window, threshold), {'steps': 0}
    kind = args.env_kind or ('tensor' if env_id.startswith('tensor:') else 'gym')
    if kind != 'gym' and 'CartPole' not in env_id: p.error(f'--env-kind {kind} is for the CartPole workloads (w1, w3, w5)')
    if kind == 'gym' and env_id.startswith('tensor:'): p.error(f'{args.workload} runs on TensorCartPole only')
    if kind == 'tensor_ordinary':   # the same environment through the ordinary loop: no tensor rollout
        from agents_nb.controller import TrainerController
        TrainerController._tensor_rollouts = lambda self, env: []
    if kind != 'gym':
        from agents_nb.envs.tensor import TensorCartPole
        env = TensorCartPole(num_envs=areas, seed=args.seed, device=args.device)
        behavior = env.name
        record_tensor_episodes(env, log, counter)
    elif env_id == 'simple':
        from agents_nb.envs.simple import SimpleEnvironment
        behavior = '1D'
        env = SimpleEnvironment([behavior], action_sizes=(1, 0), seed=args.seed)
        record_steps_episodes(env, log, counter, behavior)   # the ordinary loop steps the BaseEnv face,
        record_tensor_episodes(env, log, counter)            # the tensor rollout the tensor face
    else:
        from agents_nb.envs.gym import GymEnv
        env = GymEnv(env_id.split(':', 1)[1], num_areas=areas, seed=args.seed)
        behavior = env.name
        record_gym_episodes(env, log, counter)

    tmp = tempfile.mkdtemp(prefix='agents_nb_bench_')
    options = RunOptions.from_dict({'behaviors': {behavior: behavior_cfg},
                                    'checkpoint_settings': {'run_id': f'{args.workload}_{args.seed}', 'results_dir': tmp},
                                    'env_settings': {'seed': args.seed},
                                    'torch_settings': {'device': args.device, 'compile': args.torch_compile}})
    marks = {'first': None, 'last': None, 'first_update_s': None}

    def time_first_update(trainer):
        "Record how long the first update takes (with --torch-compile, the compilation happens in it)."
        update = trainer._update_policy
        def timed():
            if marks['first_update_s'] is not None: return update()
            t = time.perf_counter()
            try: return update()
            finally: marks['first_update_s'] = time.perf_counter() - t
        trainer._update_policy = timed

    def on_step(controller):
        now = time.perf_counter()
        if marks['first'] is None:
            marks['first'] = now
            log.t0 = now
            if hasattr(controller.trainers.get(behavior), '_update_policy'): time_first_update(controller.trainers[behavior])
        marks['last'] = now
        if args.stop_when_solved and log.solved_step is not None: raise KeyboardInterrupt

    t_call = time.perf_counter()
    import contextlib, io
    with contextlib.redirect_stdout(io.StringIO()):   # 'Training stopped by an interruption' when stopping at the threshold
        trainers = run_training(options, env=env, console=False, progress=False, tensorboard=False, on_step=on_step,
                                print_fn=lambda *a, **k: None)
    t_end = time.perf_counter()
    env.close()
    trainer = trainers[behavior]
    wall = marks['last'] - marks['first']
    res = {'bench': f'agents_nb_{args.workload}', 'agents_nb': agents_nb.__version__, 'torch': torch.__version__,
           'env_steps': counter['steps'], 'trainer_steps': trainer.get_step, 'wall_s': round(wall, 3),
           'env_steps_per_s': round(counter['steps'] / wall, 1) if wall > 0 else None,
           'setup_and_save_s': round((t_end - t_call) - wall, 3), 'settings': behavior_cfg,
           'torch_compile': args.torch_compile, 'env_kind': kind, 'areas': areas, 'device': args.device,
           'first_update_s': None if marks['first_update_s'] is None else round(marks['first_update_s'], 3)}
    res.update(log.result())
    emit(res)


if __name__ == '__main__':
    main()
