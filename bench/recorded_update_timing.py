"""Milliseconds of one optimizer update, through autograd against recorded and replayed (`traced_gradients`).

    python bench/recorded_update_timing.py [--repeats 40] [--cases sac_w2 ppo_visual poca]

Each case builds an optimizer and a fixed minibatch, copies the optimizer, turns `trace_gradients` off in the copy,
and times `optimizer.update(minibatch)` on both, alternating, after a warm-up (the first update records):

- `sac_w2`: SAC with w2's settings (2x256 networks, batch 256, one continuous action, Pendulum's 3 observations);
- `ppo_visual`: PPO on an 84x84x3 image and a vector (the `simple` encoder, 2x128, batch 256, hybrid actions),
  which the hand-derived gradients do not take;
- `poca`: POCA with three groupmates, hybrid actions, 2x128, 256 rows of four trajectories.

Each figure is the best of three timed loops of `--repeats` updates, one torch thread, with the update's Adam steps
and bookkeeping included. The ratio is autograd / recorded.
"""
from __future__ import annotations

import argparse
import copy
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import best_of, one_thread  # noqa: E402

one_thread()
import numpy as np  # noqa: E402
import torch  # noqa: E402
from agents_nb.buffer import AgentBuffer, BufferKey, ObsUtil, RewardSignalUtil  # noqa: E402
from agents_nb.envs.base import ActionSpec, BehaviorSpec, vector_spec, visual_spec  # noqa: E402
from agents_nb.networks import SimpleActor  # noqa: E402
from agents_nb.policy import TorchPolicy  # noqa: E402
from agents_nb.settings import TrainerSettings  # noqa: E402


def minibatch(spec: BehaviorSpec, n: int, seed: int = 0, sac: bool = False) -> AgentBuffer:
    "A minibatch with every field PPO's or SAC's update reads, random but valid."
    rng, a, mb = np.random.default_rng(seed), spec.action_spec, AgentBuffer()
    for i, o in enumerate(spec.observation_specs):
        mb[ObsUtil.get_name_at(i)].extend(rng.normal(size=(n, *o.shape)).astype(np.float32))
        if sac: mb[ObsUtil.get_name_at_next(i)].extend(rng.normal(size=(n, *o.shape)).astype(np.float32))
    mb[BufferKey.MASKS].extend(np.ones(n, np.float32))
    mb[BufferKey.DONE].extend((rng.random(n) < 0.02).astype(np.float32))
    mb[BufferKey.ADVANTAGES].extend(rng.normal(size=n).astype(np.float32))
    mb[RewardSignalUtil.rewards_key('extrinsic')].extend(rng.normal(size=n).astype(np.float32))
    mb[RewardSignalUtil.returns_key('extrinsic')].extend(rng.normal(size=n).astype(np.float32))
    if a.continuous_size:
        mb[BufferKey.CONTINUOUS_ACTION].extend(rng.uniform(-1, 1, size=(n, a.continuous_size)).astype(np.float32))
        mb[BufferKey.CONTINUOUS_LOG_PROBS].extend(rng.normal(size=(n, a.continuous_size)).astype(np.float32) - 1)
    if a.discrete_size:
        mb[BufferKey.DISCRETE_ACTION].extend(np.stack([rng.integers(0, b, n) for b in a.discrete_branches], 1))
        mb[BufferKey.DISCRETE_LOG_PROBS].extend(np.log(np.full((n, a.discrete_size), 0.4, np.float32)))
    mb[BufferKey.ACTION_MASK].extend(np.ones((n, sum(a.discrete_branches)), np.float32))
    return mb


def sac_w2():
    from agents_nb.trainers.sac import TorchSACOptimizer
    spec = BehaviorSpec([vector_spec(3)], ActionSpec(1, ()))
    ts = TrainerSettings.from_dict({'trainer_type': 'sac', 'hyperparameters': {'learning_rate': 1e-3, 'batch_size': 256},
                                    'network_settings': {'hidden_units': 256, 'num_layers': 2}})
    pol = TorchPolicy(0, spec, ts.network_settings, SimpleActor, {'conditional_sigma': True, 'tanh_squash': True})
    return TorchSACOptimizer(pol, ts), minibatch(spec, 256, sac=True), 256


def ppo_visual():
    from agents_nb.trainers.ppo import TorchPPOOptimizer
    spec = BehaviorSpec([visual_spec((3, 84, 84)), vector_spec(8)], ActionSpec(2, (3,)))
    ts = TrainerSettings.from_dict({'network_settings': {'hidden_units': 128, 'num_layers': 2}})
    return TorchPPOOptimizer(TorchPolicy(0, spec, ts.network_settings), ts), minibatch(spec, 256), 256


def poca():
    from agents_nb.trainers.poca import TorchPOCAOptimizer, poca_trajectory_buffer
    from agents_nb.buffer import Trajectory
    spec = BehaviorSpec([vector_spec(6)], ActionSpec(2, (3,)))
    ts = TrainerSettings.from_dict({'trainer_type': 'poca', 'network_settings': {'hidden_units': 128, 'num_layers': 2}})
    opt = TorchPOCAOptimizer(TorchPolicy(0, spec, ts.network_settings), ts)
    rng, T, M, update = np.random.default_rng(0), 64, 3, AgentBuffer()
    for k in range(4):   # four trajectories of one agent and three groupmates, in the layout `Trajectory` documents
        traj = Trajectory(
            obs=[rng.normal(size=(T, 6)).astype(np.float32)], next_obs=[rng.normal(size=6).astype(np.float32)],
            rewards=rng.normal(size=T).astype(np.float32), dones=np.zeros(T, bool), interrupted_steps=np.zeros(T, bool),
            continuous_actions=rng.uniform(-1, 1, size=(T, 2)).astype(np.float32), discrete_actions=rng.integers(0, 3, size=(T, 1)),
            continuous_log_probs=np.full((T, 2), -1.0, np.float32), discrete_log_probs=np.full((T, 1), -1.1, np.float32),
            action_mask=np.zeros((T, 3), bool), group_reward=np.zeros(T, np.float32),
            group_obs=[rng.normal(size=(T, M, 6)).astype(np.float32)], next_group_obs=[rng.normal(size=(M, 6)).astype(np.float32)],
            group_continuous_actions=rng.uniform(-1, 1, size=(T, M, 2)).astype(np.float32),
            group_discrete_actions=rng.integers(0, 3, size=(T, M, 1)), group_rewards=np.zeros((T, M), np.float32),
            group_dones=np.zeros((T, M), bool), agent_id=k, behavior_id='bench', discrete_branches=(3,))
        poca_trajectory_buffer(opt, traj, 0.95).resequence_and_append(update, training_length=1)
    return opt, update, update.num_experiences


CASES = {'sac_w2': sac_w2, 'ppo_visual': ppo_visual, 'poca': poca}


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--repeats', type=int, default=40)
    p.add_argument('--cases', nargs='+', default=list(CASES), choices=list(CASES))
    args = p.parse_args()
    print(f'torch {torch.__version__}, {torch.get_num_threads()} thread(s); ms per update, best of 3 x {args.repeats}')
    print(f"{'case':<12} {'autograd':>9} {'recorded':>9} {'ratio':>6}  replay")
    for name in args.cases:
        torch.manual_seed(0)
        recorded, batch, rows = CASES[name]()
        autograd = copy.deepcopy(recorded); autograd.trace_gradients = False
        for opt in (recorded, autograd):
            for _ in range(5): opt.update(batch, rows)   # the first records
        t_auto = best_of(lambda: autograd.update(batch, rows), args.repeats, warmup=0)
        t_rec = best_of(lambda: recorded.update(batch, rows), args.repeats, warmup=0)
        kinds = sorted({r.kind for g in recorded._gradient_traces.values() for r in g._traces.values()})
        failure = [g.trace_failure for g in recorded._gradient_traces.values() if g.trace_failure]
        print(f'{name:<12} {t_auto * 1e3:9.2f} {t_rec * 1e3:9.2f} {t_auto / t_rec:5.2f}x  {",".join(kinds) or "none"}'
              + (f'  (not recorded: {failure[0]})' if failure else ''))


if __name__ == '__main__':
    main()
