"""One ML-Agents (mlagents 1.1.0) PPO run: on SimpleEnvironment (workload 4), or on CartPole-v1 through agents_nb's
Gymnasium adapter (workloads 1 and 3, the same settings as the agents_nb worker); run it with ML-Agents' interpreter.

    /work/.mlagents/bin/python bench/mlagents_worker.py --workload w4_test --seed 0
    /work/.mlagents/bin/python bench/mlagents_worker.py --workload w1 --seed 0

ML-Agents' wheel has no test environments, so its trainer runs on agents_nb's own environments (`SimpleEnvironment`,
or `GymEnv` over a Gymnasium vector env: the same environment the agents_nb worker trains on; the project must be
importable: this script puts the repository on `sys.path`), behind a thin adapter to `mlagents_envs`' types (specs,
steps, action tuples). ML-Agents is driven as
its tests drive it: `SimpleEnvManager`, `TrainerFactory`, `TrainerController.start_learning`. The behavior settings
are the agents_nb worker's (`WORKLOADS` in agents_nb_worker.py), read by ML-Agents' own `RunOptions.from_dict`.
The timed span is first to last environment step (not the final model export).

Install (ML-Agents 1.1.0 needs Python 3.10.1-3.10.12; on 3.11 it installs with pins and --ignore-requires-python):
    python3 -m venv /work/.mlagents && . /work/.mlagents/bin/activate && pip install torch==2.13.0
    pip install --no-deps --ignore-requires-python mlagents==1.1.0 mlagents-envs==1.1.0
    pip install numpy==1.23.5 protobuf==3.20.3 'cattrs<1.7' attrs h5py Pillow pyyaml tensorboard cloudpickle filelock \
        'setuptools<70' onnx==1.15.0 grpcio pettingzoo gymnasium
"""
from __future__ import annotations

import argparse
import copy
import os
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(1, os.path.dirname(HERE))   # agents_nb's SimpleEnvironment (numpy only)
from common import EpisodeLog, emit, one_thread  # noqa: E402

one_thread()
import numpy as np  # noqa: E402


def make_adapter(env, log: EpisodeLog, counter: dict):
    "agents_nb's SimpleEnvironment seen through mlagents_envs' BaseEnv types; episodes logged as in the agents_nb worker."
    from mlagents_envs import base_env as mb

    class Adapter(mb.BaseEnv):
        def __init__(self):
            self.specs = {}
            for name, s in env.behavior_specs.items():
                obs = [mb.ObservationSpec(tuple(o.shape), tuple(mb.DimensionProperty(int(p)) for p in o.dimension_property),
                                          mb.ObservationType(int(o.observation_type.value)), o.name) for o in s.observation_specs]
                self.specs[name] = mb.BehaviorSpec(obs, mb.ActionSpec(s.action_spec.continuous_size, tuple(s.action_spec.discrete_branches)))
            self.returns = {}

        @property
        def behavior_specs(self): return mb.BehaviorMapping(self.specs)

        def step(self):
            for name in self.specs: counter['steps'] += len(env.get_steps(name)[0])
            env.step()
            now = time.perf_counter()
            if counter['first'] is None: counter['first'] = now; log.t0 = now
            counter['last'] = now
            for name in self.specs:
                dec, term = env.get_steps(name)
                for aid, r in zip(term.agent_id, term.reward): log.add(self.returns.pop(int(aid), 0.0) + float(r), counter['steps'])
                for aid, r in zip(dec.agent_id, dec.reward): self.returns[int(aid)] = self.returns.get(int(aid), 0.0) + float(r)

        def reset(self): env.reset()
        def close(self): pass

        def get_steps(self, name):
            dec, term = env.get_steps(name)
            d = mb.DecisionSteps(list(dec.obs), dec.reward, dec.agent_id, dec.action_mask, dec.group_id, dec.group_reward)
            t = mb.TerminalSteps(list(term.obs), term.reward, term.interrupted, term.agent_id, term.group_id, term.group_reward)
            return d, t

        def set_actions(self, name, action):
            from agents_nb.envs.base import ActionTuple
            env.set_actions(name, ActionTuple(action.continuous, action.discrete))

        def set_action_for_agent(self, name, agent_id, action): raise NotImplementedError

    return Adapter()


def train_with_mlagents(env, behavior: str, cfg: dict, seed: int):
    """Train `behavior` of `env` (an adapter from `make_adapter`) with settings `cfg` (a behavior's YAML dict) as
    ML-Agents' tests do: `SimpleEnvManager`, `TrainerFactory`, `TrainerController.start_learning`. Returns the trainer."""
    import logging
    logging.disable(logging.WARNING)
    from mlagents.plugins.trainer_type import register_trainer_plugins
    from mlagents.trainers.settings import RunOptions
    from mlagents.trainers.simple_env_manager import SimpleEnvManager
    from mlagents.trainers.trainer import TrainerFactory
    from mlagents.trainers.trainer_controller import TrainerController
    from mlagents.trainers.environment_parameter_manager import EnvironmentParameterManager
    from mlagents.trainers.stats import StatsReporter
    from mlagents.trainers.torch_entities.model_serialization import ModelSerializer
    from mlagents_envs.side_channel.environment_parameters_channel import EnvironmentParametersChannel
    register_trainer_plugins()
    # torch 2.13's ONNX exporter needs onnxscript, which ML-Agents' pins lack; the export is outside the timed span
    ModelSerializer.export_policy_model = lambda self, path: None
    settings = RunOptions.from_dict({'behaviors': {behavior: copy.deepcopy(cfg)}}).behaviors[behavior]
    StatsReporter.writers.clear()
    with tempfile.TemporaryDirectory() as tmp:
        params = EnvironmentParameterManager()
        factory = TrainerFactory(trainer_config={behavior: settings}, output_path=tmp, train_model=True, load_model=False,
                                 seed=seed, param_manager=params, multi_gpu=False)
        tc = TrainerController(trainer_factory=factory, output_path=tmp, run_id='bench', param_manager=params, train=True,
                               training_seed=seed)
        tc.start_learning(SimpleEnvManager(env, EnvironmentParametersChannel()))
    return tc.trainers[behavior]


def main():
    p = argparse.ArgumentParser()
    p.add_argument('--workload', required=True, choices=['w1', 'w3', 'w4_test', 'w4_default'])
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--max-steps', type=int, default=None)
    args = p.parse_args()

    import mlagents.trainers
    from agents_nb_worker import WORKLOADS
    from agents_nb.envs.simple import SimpleEnvironment

    env_id, areas, cfg, window, threshold = WORKLOADS[args.workload]
    cfg = copy.deepcopy(cfg)
    if args.max_steps: cfg['max_steps'] = args.max_steps
    if env_id == 'simple': raw, behavior = SimpleEnvironment(['1D'], action_sizes=(1, 0), seed=args.seed), '1D'
    else:
        from agents_nb.envs.gym import GymEnv
        raw = GymEnv(env_id.split(':', 1)[1], num_areas=areas, seed=args.seed)
        behavior = raw.name
    log, counter = EpisodeLog(window, threshold), {'steps': 0, 'first': None, 'last': None}
    train_with_mlagents(make_adapter(raw, log, counter), behavior, cfg, args.seed)
    wall = counter['last'] - counter['first']
    res = {'bench': f'mlagents_{args.workload}', 'mlagents': mlagents.trainers.__version__, 'env_steps': counter['steps'],
           'wall_s': round(wall, 3), 'env_steps_per_s': round(counter['steps'] / wall, 1), 'settings': cfg}
    res.update(log.result())
    emit(res)


if __name__ == '__main__':
    main()
