"""What issue 9's targets ask of this machine: for each workload, the time one step may take at the target ratio
(from the peer's rate, measured here in the same invocation) against the least time the step's unavoidable work takes
here, measured alone with warm caches.

    python bench/bounds.py [--skip-peers] [--sb3-w1 R] [--sb3-w2 R] [--sb3-w3 R] [--mlagents-w4-test R] [--mlagents-w4-default R]

The peers' rates come from short runs of their workers (seed 0; `--peer-steps-scale` shortens or lengthens them); a
rate given on the command line replaces that run (`--skip-peers` runs none, so only given rates are judged). The least
times are floors, not predictions: a training run pays each of them and more (caches are cold between the calls).

- w2 (SAC, 3x SB3): one update of ML-Agents' SAC on w2's networks (autograd, Adam, the target network's update), its
  ATen calls intercepted: its matrix products, each timed alone, and all its operations, each run again alone on a copy
  of its inputs (what any replay of these operations pays, without Python or an interpreter between them).
- w3 (PPO, 64 copies, 4x SB3 and 40% of the ceiling): Gymnasium's `SyncVectorEnv` of 64 copies with random actions
  (the ceiling), acting on 64 observations, and the update's 16 gradient steps of 1024 rows (with Adam) spread over
  the 64 vector steps of a buffer.
- w1 (PPO, 8 copies, 2.5x SB3): the same parts for 8 copies: 32 vector steps and 32 acts, and 20 gradient steps of 256
  rows, per 256-step iteration.
- w4 (PPO on `SimpleEnvironment`, 5x ML-Agents): the walk's `step_tensors`, acting on one observation, and each
  configuration's gradient steps spread over its buffer.

Acting and gradient steps are agents_nb's fastest paths (`PPOGradients`, traced); the environments' steps are the
environments' own. One torch thread, as every benchmark here.
"""
from __future__ import annotations

import argparse
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import DEFAULT_PYTHONS, best_of, check_python, one_thread, run_worker  # noqa: E402

one_thread()
import torch  # noqa: E402
from torch.utils._python_dispatch import TorchDispatchMode  # noqa: E402
from agents_nb.envs.base import ActionSpec  # noqa: E402
from ppo_step_timing import timings  # noqa: E402

W = os.path.dirname(os.path.abspath(__file__))
aten = torch.ops.aten


class Operations(TorchDispatchMode):
    """Records the ATen calls made inside it, each with a copy of its inputs (to run it again alone), and the (m, k, n)
    of every matrix product (`mm`, `addmm`; `bmm` as b products)."""
    def __init__(self):
        super().__init__()
        self.calls, self.products = [], []

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        if func in (aten.mm.default, aten.addmm.default, aten.bmm.default):
            a, b = args[-2:] if func is aten.addmm.default else args[:2]
            if func is aten.bmm.default: self.products += [tuple(a.shape[1:]) + (b.shape[-1],)] * a.shape[0]
            else: self.products.append((a.shape[0], a.shape[1], b.shape[1]))
        copy = lambda x: x.detach().clone() if isinstance(x, torch.Tensor) else [copy(v) for v in x] if isinstance(x, (list, tuple)) else x
        self.calls.append((func, copy(list(args)), {k: copy(v) for k, v in kwargs.items()}))
        return func(*args, **kwargs)


def product_seconds(shape, repeats: int = 200) -> float:
    "One (m, k) x (k, n) float32 product alone, best of three loops."
    m, k, n = shape
    a, b = torch.randn(m, k), torch.randn(k, n)
    return best_of(lambda: torch.mm(a, b), repeats)


def call_seconds(call, repeats: int = 20) -> float:
    "One recorded ATen call run again alone on its recorded inputs (an in-place one on them), best of three loops."
    func, args, kwargs = call
    return best_of(lambda: func(*args, **kwargs), repeats, warmup=5)


def sac_update_operations() -> Operations:
    "The ATen calls of one update of ML-Agents' SAC on w2's networks (autograd; the first update makes Adam's state)."
    from recorded_update_timing import sac_w2
    torch.manual_seed(0)
    opt, batch, rows = sac_w2()
    opt.trace_gradients = False
    opt.update(batch, rows)
    with Operations() as ops: opt.update(batch, rows)
    return ops


def sync_vector_seconds(areas: int, seconds: float = 2.0) -> float:
    "Seconds per step of Gymnasium's `SyncVectorEnv` of `areas` CartPole-v1 copies, random actions drawn beforehand."
    import gymnasium as gym
    venv = gym.vector.SyncVectorEnv([lambda: gym.make('CartPole-v1') for _ in range(areas)])
    venv.reset(seed=0); venv.action_space.seed(0)
    pool, n = [venv.action_space.sample() for _ in range(256)], 0
    for i in range(200): venv.step(pool[i & 255])
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        for _ in range(64): venv.step(pool[n & 255]); n += 1
    return (time.perf_counter() - t0) / n


def walk_seconds(repeats: int = 3000) -> float:
    "Seconds per `step_tensors` of the one-agent `SimpleEnvironment` (w4's), one continuous action drawn beforehand."
    from agents_nb.envs.simple import SimpleEnvironment
    env = SimpleEnvironment(['1D'], action_sizes=(1, 0), seed=0)
    env.reset_tensors()
    pool, i = [torch.rand(1, 1) * 2 - 1 for _ in range(256)], [0]
    def step():
        env.step_tensors(pool[i[0] & 255], None, check_values=False); i[0] += 1
    return best_of(step, repeats)


def peer_rate(system: str, workload: str, max_steps: int, given, skip: bool):
    "The peer's steps/s: given, or from a short run of its worker here; (rate, where it came from)."
    if given: return float(given), 'given'
    if skip: return None, 'not measured (--skip-peers)'
    python = DEFAULT_PYTHONS[system]
    why = check_python(system, python)
    if why: return None, f'not measured ({why})'
    worker = {'sb3': 'sb3_worker.py', 'mlagents': 'mlagents_worker.py'}[system]
    res = run_worker([python, f'{W}/{worker}', '--workload', workload, '--seed', '0', '--max-steps', str(max_steps)], 1800)
    if 'error' in res: return None, f"not measured ({res['error']})"
    return float(res['env_steps_per_s']), f'{max_steps:,} steps here'


def verdict(budget, floor) -> str:
    if budget is None: return 'no peer rate'
    if floor > budget: return f'out of reach here: the floor is {floor / budget:.2f}x the time allowed'
    return f'not excluded: the floor is {floor / budget:.0%} of the time allowed'


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    for k in ('sb3-w1', 'sb3-w2', 'sb3-w3', 'mlagents-w4-test', 'mlagents-w4-default'):
        p.add_argument(f'--{k}', type=float, default=None, metavar='STEPS_PER_S', help=f"the peer's rate ({k}) instead of a run")
    p.add_argument('--skip-peers', action='store_true', help='run no peer; judge only the rates given')
    p.add_argument('--peer-steps-scale', type=float, default=1.0, help='scale of the peers\' short runs (default 1)')
    a = p.parse_args()
    scale = lambda n: max(1000, int(n * a.peer_steps_scale))
    print(f'torch {torch.__version__}, {torch.get_num_threads()} thread(s), load average {os.getloadavg()[0]:.2f}', flush=True)

    rows = []   # (workload, target, peer, budget (s per unit), floor (s per unit), unit, what the floor counts)
    # w2: one SAC update: its matrix products, and every operation, each alone
    ops = sac_update_operations()
    t = {shape: product_seconds(shape) for shape in set(ops.products)}
    products = sum(t[shape] for shape in ops.products)
    every = sum(call_seconds(c) for c in ops.calls)
    big = [shape for shape in ops.products if min(shape) >= 256]
    print(f'w2: one SAC update makes {len(ops.products)} matrix products ({len(big)} of 256x256x256 or more'
          + (f', {t[big[0]] * 1e6:.0f} us each alone' if big else '') + f'), together {products * 1e3:.2f} ms; '
          f'its {len(ops.calls)} ATen operations, each run alone, {every * 1e3:.2f} ms', flush=True)
    rate, src = peer_rate('sb3', 'w2', scale(3000), a.sb3_w2, a.skip_peers)
    budget = 1 / (3 * rate) if rate else None
    rows.append(('w2 SAC Pendulum', '3x SB3', rate, src, budget, products, 'step', "the update's matrix products alone"))
    rows.append(('w2 SAC Pendulum', '3x SB3', rate, src, budget, every, 'step', "the update's ATen operations, each alone"))

    # w3: 64 copies
    env64, env8 = sync_vector_seconds(64), sync_vector_seconds(8)
    step1024, act64 = timings(1024, 64, True, 60)
    update_share = 16 * step1024 / 64   # 4 epochs x 4 minibatches of 1024 rows per 4096-row buffer = 64 vector steps
    floor3 = env64 + act64 + update_share
    ceiling = 64 / env64
    print(f'w3: SyncVectorEnv 64 copies {ceiling:,.0f} steps/s ({env64 * 1e6:.0f} us a step); act on 64 {act64 * 1e6:.0f} us; '
          f'a gradient step of 1024 rows {step1024 * 1e3:.2f} ms ({update_share * 1e6:.0f} us per vector step)', flush=True)
    rate, src = peer_rate('sb3', 'w3', scale(100_000), a.sb3_w3, a.skip_peers)
    rows.append(('w3 PPO CartPole 64 copies', '4x SB3', rate, src, 64 / (4 * rate) if rate else None, floor3, 'vector step',
                 'SyncVectorEnv + acting + the update\'s share, warm'))
    if rate: print(f'w3: 4x SB3 is {4 * rate:,.0f} steps/s, {4 * rate / ceiling:.0%} of the environment\'s own rate with random actions')
    rows.append(('w3 PPO CartPole 64 copies', '40% of the ceiling', ceiling, 'SyncVectorEnv here', 64 / (0.4 * ceiling), floor3,
                 'vector step', 'the same'))

    # w1: 8 copies, one iteration = 32 vector steps + 20 gradient steps of 256 rows
    step256, act8 = timings(256, 8, True, 150)
    floor1 = 32 * (env8 + act8) + 20 * step256
    print(f'w1: SyncVectorEnv 8 copies {8 / env8:,.0f} steps/s; act on 8 {act8 * 1e6:.0f} us; a gradient step of 256 rows '
          f'{step256 * 1e3:.3f} ms', flush=True)
    rate, src = peer_rate('sb3', 'w1', scale(30_000), a.sb3_w1, a.skip_peers)
    rows.append(('w1 PPO CartPole 8 copies', '2.5x SB3', rate, src, 256 / (2.5 * rate) if rate else None, floor1,
                 '256-step iteration', 'SyncVectorEnv + acting + 20 gradient steps, warm'))

    # w4: one agent on the walk
    walk = walk_seconds()
    for name, given, hidden, layers, batch, buffer, epochs in (('w4_test', a.mlagents_w4_test, 32, 1, 16, 64, 3),
                                                               ('w4_default', a.mlagents_w4_default, 128, 2, 1024, 10240, 3)):
        step, act1 = timings(batch, 1, True, 100 if batch < 1024 else 20, obs_size=1, action_spec=ActionSpec(1, ()),
                             hidden=hidden, layers=layers)
        share = epochs * (buffer // batch) * step / buffer
        floor4 = walk + act1 + share
        print(f'{name}: the walk\'s step {walk * 1e6:.1f} us; act on 1 {act1 * 1e6:.1f} us; a gradient step of {batch} rows '
              f'{step * 1e6:.0f} us ({share * 1e6:.1f} us per environment step)', flush=True)
        rate, src = peer_rate('mlagents', name, scale(3000 if name == 'w4_test' else 15_000), given, a.skip_peers)
        rows.append((f'{name} PPO SimpleEnvironment', '5x ML-Agents', rate, src, 1 / (5 * rate) if rate else None, floor4,
                     'step', 'the walk + acting + the update\'s share, warm'))

    print('\n| workload | target | peer (steps/s) | time allowed | least time here | per | what the floor counts | verdict |')
    print('|---|---|---|---|---|---|---|---|')
    us = lambda s: '-' if s is None else (f'{s * 1e3:.2f} ms' if s >= 1e-3 else f'{s * 1e6:.0f} us')
    for w, target, rate, src, budget, floor, unit, what in rows:
        peer = '-' if rate is None else f'{rate:,.1f} ({src})'
        print(f'| {w} | {target} | {peer} | {us(budget)} | {us(floor)} | {unit} | {what} | {verdict(budget, floor)} |')


if __name__ == '__main__':
    main()
