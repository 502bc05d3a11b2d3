"""The environment's own ceiling: how many transitions per second the vector environment makes with random actions
(pre-drawn, so drawing them costs nothing), no learning; one JSON line.

    python bench/raw_env_worker.py --mode sync --env CartPole-v1 --areas 64 --seed 0 [--seconds 6]

  --mode sync       gymnasium.vector.SyncVectorEnv of gym.make copies (autoreset), the ceiling every trainer shares
  --mode gymenv     agents_nb's GymEnv over the same copies (its codecs, ids, same-step episode ends), driven through
                    the BaseEnv API (get_steps / set_actions / step) as the controller drives it
  --mode gymtensor  agents_nb's GymEnv over the same copies driven through its tensor face (`step_tensors`, actions
                    pre-drawn as tensors), as the tensor rollout drives it
  --mode tensor     agents_nb's TensorCartPole (--env is ignored) of --areas copies on --device, stepped with
                    `step_tensors` (random actions pre-drawn on the device), the ceiling of the tensor rollout
The rate is the median of three equal chunks of the time budget.
"""
from __future__ import annotations

import argparse
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import emit, one_thread  # noqa: E402

one_thread()
import numpy as np  # noqa: E402


def rate(fn, seconds: float, per_call: int) -> float:
    n, t0 = 0, time.perf_counter()
    while True:
        fn(); n += 1
        if n % 16 == 0 and time.perf_counter() - t0 >= seconds: break
    return n * per_call / (time.perf_counter() - t0)


def main():
    p = argparse.ArgumentParser()
    p.add_argument('--mode', choices=['sync', 'gymenv', 'gymtensor', 'tensor'], default='sync')
    p.add_argument('--device', default='cpu', help='--mode tensor: the torch device')
    p.add_argument('--env', default='CartPole-v1')
    p.add_argument('--areas', type=int, default=64)
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--seconds', type=float, default=6.0)
    args = p.parse_args()
    import gymnasium as gym

    if args.mode == 'sync':
        venv = gym.vector.SyncVectorEnv([lambda: gym.make(args.env) for _ in range(args.areas)])
        venv.reset(seed=args.seed)
        venv.action_space.seed(args.seed)
        pool = [venv.action_space.sample() for _ in range(256)]
        i = [0]

        def step():
            venv.step(pool[i[0] & 255]); i[0] += 1
    elif args.mode == 'tensor':
        import torch
        from agents_nb.envs.tensor import TensorCartPole
        env = TensorCartPole(num_envs=args.areas, seed=args.seed, device=args.device)
        env.reset_tensors()
        g = torch.Generator(env.device).manual_seed(args.seed)
        pool = [torch.randint(0, 2, (args.areas, 1), generator=g, device=env.device) for _ in range(256)]
        i = [0]

        def step():
            env.step_tensors(None, pool[i[0] & 255], check_values=False); i[0] += 1
            if env.device.type == 'cuda' and i[0] % 64 == 0: torch.cuda.synchronize()
    elif args.mode == 'gymtensor':
        import torch
        from agents_nb.envs.gym import GymEnv
        env = GymEnv(args.env, num_areas=args.areas, seed=args.seed)
        env.reset_tensors()
        a = env.spec.action_spec
        drawn = [a.random_action(args.areas) for _ in range(256)]
        pool = [(torch.as_tensor(x.continuous) if a.continuous_size else None,
                 torch.as_tensor(x.discrete.astype(np.int64)) if a.discrete_size else None) for x in drawn]
        i = [0]

        def step():
            env.step_tensors(*pool[i[0] & 255], check_values=False); i[0] += 1
    else:
        from agents_nb.envs.gym import GymEnv
        env = GymEnv(args.env, num_areas=args.areas, seed=args.seed)
        name, spec = env.name, env.spec
        pool = [spec.action_spec.random_action(args.areas) for _ in range(256)]
        i = [0]

        def step():
            dec, term = env.get_steps(name)
            env.set_actions(name, pool[i[0] & 255]); env.step(); i[0] += 1

    for _ in range(20): step()   # warm-up
    rates = sorted(rate(step, args.seconds / 3, args.areas) for _ in range(3))
    emit({'bench': f'raw_{args.mode}', 'env': 'TensorCartPole' if args.mode == 'tensor' else args.env, 'areas': args.areas, 'env_steps_per_s': round(rates[1], 1),
          'rates': [round(r, 1) for r in rates], 'gymnasium': gym.__version__})


if __name__ == '__main__':
    main()
