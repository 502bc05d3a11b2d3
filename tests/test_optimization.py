"""Reward-signal plug-ins end to end (settings -> TorchOptimizer), demonstrations from a file, and a processed run
of a built-in environment into an update buffer; the chapters 03*/05* test the pieces."""
import warnings

import numpy as np
import pytest

torch = pytest.importorskip('torch')
from agents_nb.core import UnityTrainerException
from agents_nb.settings import RunOptions, TrainerConfigError
from agents_nb.envs.simple import SimpleEnvironment
from agents_nb.buffer import AgentBuffer, AgentProcessor, BufferKey, ObsUtil, RewardSignalUtil
from agents_nb.policy import TorchPolicy
from agents_nb.networks import ValueNetwork
from agents_nb.optimizer import TorchOptimizer, get_gae
from agents_nb.demos import record_demonstrations, save_demonstrations
from agents_nb.envs.base import ActionTuple


class CriticOptimizer(TorchOptimizer):
    def __init__(self, policy, trainer_settings):
        super().__init__(policy, trainer_settings)
        self._critic = ValueNetwork(list(self.reward_signals), policy.behavior_spec.observation_specs,
                                    trainer_settings.network_settings)

    @property
    def critic(self): return self._critic


def _settings(reward_signals, **extra):
    return RunOptions.from_dict({'behaviors': {'1D': {'network_settings': {'hidden_units': 16}, 'reward_signals': reward_signals,
                                                      **extra}}}).behaviors['1D']


def test_a_plugin_reward_signal_is_configured_built_and_updated(example_plugin):
    ts = _settings({'extrinsic': {}, 'bonus': {'value': 0.5, 'gamma': 0.9}})
    assert ts.reward_signals['bonus'].value == 0.5 and type(ts.reward_signals['bonus']).__name__ == 'BonusSettings'
    assert ts.as_dict()['reward_signals']['bonus']['value'] == 0.5
    env = SimpleEnvironment(['1D'], seed=0)
    spec = env.behavior_specs['1D']
    opt = CriticOptimizer(TorchPolicy(0, spec, ts.network_settings), ts)
    assert sorted(opt.reward_signals) == ['bonus', 'extrinsic']
    batch = AgentBuffer(); batch[ObsUtil.get_name_at(0)].extend(np.zeros((4, 1), np.float32))
    assert opt.reward_signals['bonus'].evaluate(batch).tolist() == [0.5] * 4
    assert opt.update_reward_signals(batch) == {'Losses/Bonus Updates': 1.0}
    _, nxt, _ = opt.get_trajectory_value_estimates(batch, [np.ones(1, np.float32)], done=True)
    assert nxt['extrinsic'] == 0.0 and nxt['bonus'] != 0.0   # the plug-in ignores ends


def test_unknown_and_broken_reward_signals_are_named(broken_plugins):
    with pytest.raises(TrainerConfigError, match="'bonsu' is not a reward signal.*did you mean 'bonus'"):
        _settings({'bonsu': {}})
    with pytest.raises(TrainerConfigError, match=r"reward signal plug-in 'brokenreward' \(agents_nb_no_such_module:Provider\) failed to load"):
        _settings({'brokenreward': {}})


def test_gail_and_bc_read_a_recorded_demonstration(tmp_path):
    env = SimpleEnvironment(['1D'], seed=0)
    spec = env.behavior_specs['1D']
    expert = lambda dec: ActionTuple(continuous=np.sign(dec.obs[0][:, :1]).astype(np.float32))
    path = save_demonstrations(tmp_path / 'walk', spec, record_demonstrations(env, '1D', expert, 100))
    ts = _settings({'extrinsic': {}, 'gail': {'demo_path': str(path), 'strength': 0.1}},
                   behavioral_cloning={'demo_path': str(path)})
    opt = CriticOptimizer(TorchPolicy(0, spec, ts.network_settings), ts)
    assert opt.bc_module.num_epoch == 3 and opt.bc_module.demonstration_buffer.num_experiences > 50
    assert opt.bc_module.update()['Losses/Pretraining Loss'] > 0
    batch = AgentBuffer()
    batch[ObsUtil.get_name_at(0)].extend(np.ones((8, 1), np.float32))
    batch[ObsUtil.get_name_at_next(0)].extend(np.ones((8, 1), np.float32))
    batch[BufferKey.CONTINUOUS_ACTION].extend(np.zeros((8, 1), np.float32))
    batch[BufferKey.DONE].extend(np.zeros(8, np.float32))
    batch[BufferKey.MASKS].extend(np.ones(8, np.float32))
    stats = opt.update_reward_signals(batch)
    assert 'Losses/GAIL Loss' in stats
    other = SimpleEnvironment(['1D'], action_sizes=(0, 1), seed=0).behavior_specs['1D']
    with pytest.raises(UnityTrainerException, match='does not match the behavior'):
        CriticOptimizer(TorchPolicy(0, other, ts.network_settings), ts)


def test_a_run_becomes_an_update_buffer_with_advantages():
    "Steps of a built-in environment -> processor -> trajectories -> value estimates, GAE, returns -> update buffer."
    env = SimpleEnvironment(['1D'], seed=0)
    env.reset()
    spec = env.behavior_specs['1D']
    ts = _settings({'extrinsic': {'gamma': 0.99}})
    policy = TorchPolicy(0, spec, ts.network_settings)
    opt = CriticOptimizer(policy, ts)
    proc, trajectories = AgentProcessor(spec, 16, '1D', policy=policy), []
    proc.publish_trajectory_queue(trajectories)
    info = None
    for _ in range(200):
        dec, term = env.get_steps('1D')
        proc.add_experiences(dec, term, previous_action=info)
        info = policy.get_action(dec)
        env.set_actions('1D', info.env_action)
        env.step()
    assert len(trajectories) > 5
    update = AgentBuffer()
    for t in trajectories:
        buf = t.to_agentbuffer()
        values, nxt, _ = opt.get_trajectory_value_estimates(buf, t.next_obs, t.done_reached and not t.interrupted, t.agent_id)
        rewards = opt.reward_signals['extrinsic'].evaluate(buf)
        adv = get_gae(rewards, values['extrinsic'], nxt['extrinsic'], 0.99, 0.95)
        buf[RewardSignalUtil.value_estimates_key('extrinsic')].extend(values['extrinsic'])
        buf[RewardSignalUtil.returns_key('extrinsic')].extend(adv + values['extrinsic'])
        buf[BufferKey.ADVANTAGES].extend(adv)
        buf.resequence_and_append(update, training_length=1)
    assert update.num_experiences == sum(t.length for t in trajectories)
    assert update.check_length(list(update.keys()))
    ended = [t for t in trajectories if t.done_reached]
    assert ended and all(abs(t.rewards[-1]) > 1 for t in ended)  # the walk pays +-1.06 at a wall
