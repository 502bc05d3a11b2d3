"""Microseconds of PPO's hand-derived gradient step and of acting, eager against traced, on w1's networks.

    python bench/ppo_step_timing.py [--rows 64 256 1024] [--copies 8] [--repeats 300]

A step is `PPOGradients.__call__` (two 2x64 Swish networks, two discrete actions) then `adam_step` with the fused
Adam, as `TorchPPOOptimizer.gradient_step` takes it; acting is `PPOGradients.act` on `--copies` observations. Each
figure is the best of three timed loops of `--repeats` calls after a warm-up, one torch thread. These are the costs
with warm caches; inside a training run the same calls take longer (see bench/README.md).
"""
from __future__ import annotations

import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import best_of, one_thread  # noqa: E402

one_thread()
import torch  # noqa: E402
from agents_nb.envs.base import ActionSpec, vector_spec  # noqa: E402
from agents_nb.fastgrad import PPOGradients  # noqa: E402
from agents_nb.networks import SimpleActor, ValueNetwork  # noqa: E402
from agents_nb.settings import NetworkSettings  # noqa: E402
from agents_nb.torch_utils import adam, adam_step  # noqa: E402


def timings(rows: int, copies: int, trace: bool, repeats: int, obs_size: int = 4, action_spec: ActionSpec = ActionSpec(0, (2,)),
            hidden: int = 64, layers: int = 2):
    """Seconds per gradient step (with Adam) on `rows` rows and per act on `copies` observations (w1's networks unless
    told: `obs_size` observations, `action_spec`, `layers` x `hidden`)."""
    torch.manual_seed(0)
    ns = NetworkSettings(hidden_units=hidden, num_layers=layers)
    actor = SimpleActor([vector_spec(obs_size)], ns, action_spec)
    critic = ValueNetwork(['extrinsic'], [vector_spec(obs_size)], ns)
    params = list(actor.parameters()) + list(critic.parameters())
    opt, hand = adam(params, 1e-3), PPOGradients(actor, critic, trace=trace)
    obs = torch.randn(rows, obs_size)
    with torch.no_grad(): actions, log_probs, _ = actor.action_model(actor.network_body([obs])[0])
    old = log_probs.flatten() + 0.1 * torch.randn(rows, 1)
    returns, advantages = {'extrinsic': torch.randn(rows)}, torch.randn(rows)

    def step():
        grads, _ = hand([obs], actions, None, returns, advantages, old, 0.2, 0.0, False)
        for p in params: p.grad = grads.get(p)
        adam_step(opt)
    acting = [torch.randn(copies, obs_size)]
    return best_of(step, repeats), best_of(lambda: hand.act(acting), repeats * 3)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--rows', type=int, nargs='+', default=[64, 256, 1024])
    p.add_argument('--copies', type=int, default=8)
    p.add_argument('--repeats', type=int, default=300)
    a = p.parse_args()
    print(f'torch {torch.__version__}, {torch.get_num_threads()} thread(s)')
    print(f'| rows | step eager (ms) | step traced (ms) | eager / traced | act {a.copies} eager (us) | act traced (us) |')
    print('|---|---|---|---|---|---|')
    for rows in a.rows:
        (step_e, act_e), (step_t, act_t) = timings(rows, a.copies, False, a.repeats), timings(rows, a.copies, True, a.repeats)
        print(f'| {rows} | {step_e * 1e3:.3f} | {step_t * 1e3:.3f} | {step_e / step_t:.2f}x | {act_e * 1e6:.1f} | {act_t * 1e6:.1f} |')


if __name__ == '__main__':
    main()
