"""How often a POCA policy trained on ML-Agents' `test_var_len_obs_and_goal_poca` task still walks to the wrong wall:
agents_nb's POCA or ML-Agents 1.1.0's own, on the same environment (agents_nb's `MultiAgentEnvironment`, two agents,
discrete actions, step 0.2, goal observation 0) with the same configuration (ML-Agents' `poca_dummy_config`, lr 3e-4,
hyper goal conditioning, 25000 steps). Not a timing: it prints, per tenth of the run, the share of arrivals at the
wrong wall (a final reward of -1.06), the count over the second half, the last five final rewards (the quantity
ML-Agents' acceptance test thresholds) and the trained policy's probability of the right action for each goal.

    .venv/bin/python bench/poca_goal_arrivals.py --system agents_nb --var-len 2 --seed 1337
    /work/.mlagents/bin/python bench/poca_goal_arrivals.py --system mlagents --var-len 2 --seed 1337

ML-Agents' trainer runs on agents_nb's environment through the adapter of `mlagents_worker.py` (its wheel ships no
test environments); install it as bench/README.md says.
"""
from __future__ import annotations

import argparse
import copy
import os
import random
import sys
import tempfile
import time
from collections import deque
from pathlib import Path

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(1, os.path.dirname(HERE))
from common import EpisodeLog, one_thread  # noqa: E402

one_thread()
import numpy as np  # noqa: E402
import torch  # noqa: E402

# ML-Agents' poca_dummy_config (dummy_config.py) with the test's changes
CONFIG = {'trainer_type': 'poca',
          'hyperparameters': {'learning_rate': 3.0e-4, 'learning_rate_schedule': 'constant', 'beta_schedule': 'linear',
                              'epsilon_schedule': 'linear', 'batch_size': 16, 'buffer_size': 64},
          'network_settings': {'num_layers': 1, 'hidden_units': 32, 'goal_conditioning_type': 'hyper'},
          'summary_freq': 500, 'max_steps': 25000, 'threaded': False}


def train_agents_nb(env, seed: int, config: dict):
    from agents_nb.settings import TrainerSettings
    from agents_nb.trainers.poca import POCATrainer
    from agents_nb.buffer import AgentProcessor
    torch.manual_seed(seed); np.random.seed(seed); random.seed(seed)
    settings = TrainerSettings.from_dict(copy.deepcopy(config))
    trainer = POCATrainer('1D', settings, training=True, load=False, seed=seed,
                          artifact_path=Path(tempfile.mkdtemp()) / 'results' / '1D')
    env.reset()
    trainer.add_policy(env.behavior_specs['1D'])
    proc = AgentProcessor(env.behavior_specs['1D'], settings.time_horizon, '1D', policy=trainer.policy,
                          stats_reporter=trainer.stats_reporter)
    queue = deque()
    proc.publish_trajectory_queue(queue); trainer.trajectory_queues.append(queue)
    info = None
    while trainer.should_still_train:   # ML-Agents' controller loop: until the trainer has taken max_steps steps
        dec, term = env.get_steps('1D')
        proc.add_experiences(dec, term, previous_action=info)
        info = trainer.policy.get_action(dec)
        if len(dec): env.set_actions('1D', info.env_action)
        env.step()
        trainer.advance()
    return trainer.policy.actor


def train_mlagents(env, seed: int, config: dict):
    from mlagents_worker import make_adapter, train_with_mlagents
    trainer = train_with_mlagents(make_adapter(env, EpisodeLog(5, 0.9), {'steps': 0, 'first': None, 'last': None}), '1D',
                                  config, seed)
    return trainer.get_policy(next(iter(trainer.policies))).actor


def main():
    p = argparse.ArgumentParser()
    p.add_argument('--system', choices=['agents_nb', 'mlagents'], required=True)
    p.add_argument('--seed', type=int, default=1337)
    p.add_argument('--var-len', type=int, default=2)
    p.add_argument('--vector', type=int, default=0)
    p.add_argument('--visual', type=int, default=0)
    p.add_argument('--max-steps', type=int, default=CONFIG['max_steps'], help="the test's budget unless changed (quick checks)")
    args = p.parse_args()
    from agents_nb.envs.simple import MultiAgentEnvironment
    env = MultiAgentEnvironment(['1D'], action_sizes=(0, 1), num_visual=args.visual, num_vector=args.vector,
                                num_var_len=args.var_len, step_size=0.2, num_agents=2, goal_indices=[0])
    start = time.perf_counter()
    actor = (train_agents_nb if args.system == 'agents_nb' else train_mlagents)(env, args.seed, {**CONFIG, 'max_steps': args.max_steps})
    finals = np.array(env.final_rewards['1D'])
    wrong = finals < 0
    tenth = max(1, len(finals) // 10)
    print(f'{args.system} seed {args.seed} (var_len {args.var_len}, vector {args.vector}, visual {args.visual}): '
          f'{len(finals)} arrivals in {time.perf_counter() - start:.0f} s')
    print('wrong-wall share per tenth of the run:', [round(float(wrong[i:i + tenth].mean()), 3) for i in range(0, len(finals), tenth)])
    half = wrong[len(wrong) // 2:]
    print(f'second half: {int(half.sum())} of {len(half)} arrivals at the wrong wall ({half.mean():.2%}); '
          f'mean of the last 100 final rewards {finals[-100:].mean():.3f}; last five {np.round(finals[-5:], 2).tolist()} '
          f'(mean {finals[-5:].mean():.3f})')
    for goal in (1.0, -1.0):
        obs = [torch.ones((4000,) + tuple(s.shape)) * goal for s in env.behavior_specs['1D'].observation_specs]
        with torch.no_grad():
            _, stats, _ = actor.get_action_and_stats(obs, masks=torch.ones(4000, 2))
        right = 1 if goal > 0 else 0
        print(f'goal {goal:+.0f}: P(right action) {float((stats["env_action"].discrete[:, 0] == right).mean()):.3f}')


if __name__ == '__main__':
    main()
