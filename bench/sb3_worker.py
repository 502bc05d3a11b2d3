"""One Stable-Baselines3 training run of a benchmark workload (run it with the peers' interpreter); one JSON line.

    /work/.peers/bin/python bench/sb3_worker.py --workload w1 --seed 0 [--max-steps N]

Settings are rl-baselines3-zoo's (rl_zoo3/hyperparams/ppo.yml CartPole-v1, sac.yml Pendulum-v1); environments are
`make_vec_env` (a DummyVecEnv of Monitor-wrapped envs), as the zoo makes them. Episodes come from Monitor's
`info['episode']` at `num_timesteps` (transitions summed over envs), the same rule as agents_nb's worker. The timed
span is `model.learn()`.
"""
from __future__ import annotations

import argparse
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import EpisodeLog, emit, one_thread  # noqa: E402

one_thread()


def lin(x):
    return lambda progress_remaining: progress_remaining * x


# workload -> (env id, n_envs, algorithm, kwargs, timesteps, window, threshold)
WORKLOADS = {
    'w1': ('CartPole-v1', 8, 'PPO', dict(n_steps=32, batch_size=256, gae_lambda=0.8, gamma=0.98, n_epochs=20, ent_coef=0.0,
                                         learning_rate=lin(1e-3), clip_range=lin(0.2)), 100_000, 20, 475.0),
    'w2': ('Pendulum-v1', 1, 'SAC', dict(learning_rate=1e-3), 20_000, 10, -200.0),
    'w3': ('CartPole-v1', 64, 'PPO', dict(n_steps=64, batch_size=1024, gae_lambda=0.8, gamma=0.98, n_epochs=4, ent_coef=0.0,
                                          learning_rate=lin(1e-3), clip_range=lin(0.2)), 200_000, 20, 475.0),
}


def main():
    p = argparse.ArgumentParser()
    p.add_argument('--workload', required=True, choices=sorted(WORKLOADS))
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--max-steps', type=int, default=None)
    args = p.parse_args()

    import torch
    import stable_baselines3
    from stable_baselines3 import PPO, SAC
    from stable_baselines3.common.callbacks import BaseCallback
    from stable_baselines3.common.env_util import make_vec_env

    env_id, n_envs, algo, kwargs, steps, window, threshold = WORKLOADS[args.workload]
    steps = args.max_steps or steps
    log = EpisodeLog(window, threshold)

    class Probe(BaseCallback):
        def _on_training_start(self): log.start()

        def _on_step(self):
            for info in self.locals['infos']:
                ep = info.get('episode')
                if ep is not None: log.add(ep['r'], self.num_timesteps)
            return True

    env = make_vec_env(env_id, n_envs=n_envs, seed=args.seed)
    model = (PPO if algo == 'PPO' else SAC)('MlpPolicy', env, seed=args.seed, device='cpu', verbose=0, **kwargs)
    t0 = time.perf_counter()
    model.learn(total_timesteps=steps, callback=Probe())
    wall = time.perf_counter() - t0
    res = {'bench': f'sb3_{args.workload}', 'sb3': stable_baselines3.__version__, 'torch': torch.__version__,
           'env_steps': int(model.num_timesteps), 'wall_s': round(wall, 3),
           'env_steps_per_s': round(model.num_timesteps / wall, 1), 'gradient_steps': int(model._n_updates)}
    res.update(log.result())
    emit(res)


if __name__ == '__main__':
    main()
