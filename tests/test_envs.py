"Random policies through the Gymnasium and PettingZoo adapters: shapes, dtypes, ids, terminal/decision pairing, rewards."
import sys
import numpy as np
import pytest
import gymnasium as gym
from gymnasium import spaces

from agents_nb.envs.base import ActionSpec, ActionTuple, DimensionProperty, check_steps
from agents_nb.envs.gym import GymEnv
from agents_nb.envs.pettingzoo import PettingZooEnv
from agents_nb.envs.registry import make_env, parse_env_args


class Ledger:
    "A trainer's-eye record of one behavior: per agent id, the rewards and whether/how its episode ended."
    def __init__(self):
        self.rewards, self.actions, self.ended = {}, {}, {}

    def record(self, dec, term):
        for a, r, i in zip(term.agent_id.tolist(), term.reward.tolist(), term.interrupted.tolist()):
            assert a in self.rewards, f'agent {a} ended an episode it never started'
            assert a not in self.ended, f'agent {a} ended twice'
            self.rewards[a].append(r)
            self.ended[a] = i
        for a, r in zip(dec.agent_id.tolist(), dec.reward.tolist()):
            assert a not in self.ended, f'agent {a} asks for a decision after its episode ended'
            self.rewards.setdefault(a, []).append(r)
            self.actions[a] = self.actions.get(a, 0) + 1


def drive(env, name, steps, seed=0):
    spec, ledger, rng = env.behavior_specs[name], Ledger(), np.random.default_rng(seed)
    for _ in range(steps):
        dec, term = env.get_steps(name)
        check_steps(spec, dec, term, name)
        ledger.record(dec, term)
        env.set_actions(name, spec.action_spec.random_action(len(dec), rng))
        env.step()
    return ledger


def test_cartpole_random_policy():
    with make_env('gym:CartPole-v1', num_areas=3, seed=0) as env:
        assert list(env.behavior_specs) == ['CartPole']
        spec = env.behavior_specs['CartPole']
        assert spec.action_spec == ActionSpec(0, (2,)) and spec.observation_specs[0].shape == (4,)
        ledger = drive(env, 'CartPole', 300)
    assert len(ledger.ended) > 10 and not any(ledger.ended.values())  # poles fall: terminated, not interrupted
    for a in ledger.ended:  # CartPole pays 1 per step: an episode's return is the number of actions its agent took
        assert ledger.rewards[a][0] == 0.0
        assert sum(ledger.rewards[a]) == ledger.actions[a]


def test_pendulum_time_limit_is_interrupted():
    with make_env('gym:Pendulum-v1', num_areas=2, seed=3) as env:
        spec = env.behavior_specs['Pendulum']
        assert spec.action_spec == ActionSpec(1, ())
        ledger = drive(env, 'Pendulum', 401)
    assert len(ledger.ended) == 4 and all(ledger.ended.values())
    assert all(ledger.actions[a] == 200 for a in ledger.ended)
    assert all(-16.3 * 200 < sum(ledger.rewards[a]) < 0 for a in ledger.ended)


class Warehouse(gym.Env):
    "A Dict observation (camera image, position, a count, an action mask) and a MultiDiscrete + Box action."
    def __init__(self, length=5):
        self.length = length
        self.observation_space = spaces.Dict({
            'camera': spaces.Box(0, 255, (12, 10, 3), np.uint8),
            'position': spaces.Box(-1, 1, (2,), np.float32),
            'count': spaces.Discrete(length + 1),
            'action_mask': spaces.MultiBinary(5)})
        self.action_space = spaces.Dict({'move': spaces.MultiDiscrete([3, 2]), 'speed': spaces.Box(0.0, 4.0, (1,), np.float32)})
        self.received = []

    def _obs(self):
        cam = np.full((12, 10, 3), 51 * (self.t % 6), np.uint8)
        return {'camera': cam, 'position': np.array([self.t / 10, -self.t / 10], np.float32), 'count': self.t,
                'action_mask': np.array([1, 1, self.t % 2 == 0, 1, 1], np.int8)}

    def reset(self, seed=None, options=None):
        super().reset(seed=seed)
        self.t = 0
        return self._obs(), {}

    def step(self, action):
        self.received.append((np.array(action['move']), float(action['speed'][0])))
        self.t += 1
        return self._obs(), float(self.t), self.t == self.length, False, {}


def test_dict_multidiscrete_image_env():
    env = GymEnv(lambda: Warehouse(), num_areas=2, seed=0, behavior_name='Warehouse')
    spec = env.behavior_specs['Warehouse']
    assert [o.name for o in spec.observation_specs] == ['camera', 'count', 'position']
    assert [o.shape for o in spec.observation_specs] == [(3, 12, 10), (6,), (2,)]
    assert spec.observation_specs[0].dimension_property[1] == DimensionProperty.TRANSLATIONAL_EQUIVARIANCE
    assert spec.action_spec == ActionSpec(1, (3, 2))
    dec, _ = env.get_steps('Warehouse')
    assert dec.action_mask[0].tolist() == [[False, False, False]] * 2  # step 0: every option allowed
    env.set_actions('Warehouse', ActionTuple(np.array([[1.0], [-1.0]]), np.array([[2, 1], [0, 0]])))
    env.step()
    dec, term = env.get_steps('Warehouse')
    assert dec.action_mask[0][0].tolist() == [False, False, True]  # odd step: option 2 of branch 0 masked
    assert dec.action_mask[1].shape == (2, 2)
    sent = [w.unwrapped.received[-1] for w in env.venv.envs]
    assert sent[0][0].tolist() == [2, 1] and sent[0][1] == pytest.approx(4.0)
    assert sent[1][0].tolist() == [0, 0] and sent[1][1] == pytest.approx(0.0)
    assert dec.obs[0].dtype == np.float32 and dec.obs[0].max() == pytest.approx(0.2)  # 51/255, channels first
    assert dec.obs[1].tolist() == [[0, 1, 0, 0, 0, 0]] * 2
    ledger = Ledger()
    for _ in range(12):
        dec, term = env.get_steps('Warehouse')
        check_steps(spec, dec, term)
        ledger.record(dec, term)
        if len(term):  # the true last observation ends the episode; the new one starts from 0 in the same step
            assert (term.obs[1].argmax(axis=1) == 5).all() and (dec.obs[1].argmax(axis=1) == 0).all()
            assert term.reward.tolist() == [5.0] * len(term) and not term.interrupted.any()
        env.set_actions('Warehouse', spec.action_spec.random_action(len(dec)))
        env.step()
    assert all(sum(ledger.rewards[a]) == 15.0 for a in ledger.ended)  # 1+2+3+4+5: nothing leaked between episodes
    env.close()


def test_gym_adapter_has_no_python_loop_over_agents():
    "The adapter's own Python calls per step do not grow with the number of agents."
    def calls_per_step(n):
        env = GymEnv('CartPole-v1', num_areas=n, seed=0)
        spec = env.behavior_specs['CartPole']
        for _ in range(30):  # warm up, and make sure episodes end in the measured steps too
            env.set_actions('CartPole', spec.action_spec.random_action(n)); env.step()
        counts = []
        def prof(frame, event, arg):
            if event == 'call' and '/agents_nb/envs/' in frame.f_code.co_filename: counts.append(frame.f_code.co_name)
        acts = ActionTuple(discrete=np.ones((n, 1), np.int32))
        for _ in range(40):
            env.set_actions('CartPole', acts)
            sys.setprofile(prof)
            try: env.step(); env.get_steps('CartPole')
            finally: sys.setprofile(None)
        env.close()
        return len(counts)
    small, large = calls_per_step(2), calls_per_step(64)
    assert large <= small * 1.5, (small, large)  # a loop over agents would multiply the count by ~32


def test_simple_spread_random_policy():
    with make_env('pettingzoo:mpe2.simple_spread_v3', num_areas=2, seed=0, **parse_env_args(['max_cycles=30'])) as env:
        spec = env.behavior_specs['agent']
        assert spec.action_spec == ActionSpec(0, (5,)) and spec.observation_specs[0].shape == (18,)
        dec, _ = env.get_steps('agent')
        assert dec.group_id.tolist() == [1, 1, 1, 2, 2, 2] and dec.agent_id.tolist() == list(range(6))
        ledger = drive(env, 'agent', 61)
    assert len(ledger.ended) == 12 and all(ledger.ended.values())  # two rounds of max_cycles: time limits
    assert all(ledger.actions[a] == 30 for a in ledger.ended)
    assert all(sum(ledger.rewards[a]) < 0 for a in ledger.ended)  # distances and collisions cost


class Leavers:
    "A parallel PettingZoo environment whose agents leave one by one: runner_k leaves after k+1 steps."
    metadata = {'name': 'leavers'}

    def __init__(self, n=3):
        self.possible_agents = [f'runner_{i}' for i in range(n)]
        self._obs = spaces.Box(-10, 10, (2,), np.float32)
        self._act = spaces.Discrete(2)

    def observation_space(self, agent): return self._obs
    def action_space(self, agent): return self._act
    def close(self): pass

    def reset(self, seed=None, options=None):
        self.agents, self.t = list(self.possible_agents), 0
        return {a: np.array([self.t, i], np.float32) for i, a in enumerate(self.agents)}, {a: {} for a in self.agents}

    def step(self, actions):
        self.t += 1
        assert set(actions) == set(self.agents), (actions, self.agents)
        obs = {a: np.array([self.t, int(a[-1])], np.float32) for a in self.agents}
        rew = {a: float(actions[a]) + 0.5 for a in self.agents}
        term = {a: self.t == int(a[-1]) + 1 for a in self.agents}
        trunc = {a: False for a in self.agents}
        self.agents = [a for a in self.agents if not term[a]]
        return obs, rew, term, trunc, {a: {} for a in obs}


def test_pettingzoo_agents_leave_mid_episode():
    env = PettingZooEnv(lambda: Leavers(3), num_areas=2, seed=0)
    spec = env.behavior_specs['runner']
    ledger, leaving = Ledger(), []
    for t in range(7):
        dec, term = env.get_steps('runner')
        check_steps(spec, dec, term)
        ledger.record(dec, term)
        leaving.append(sorted(term.agent_id.tolist()))
        assert (dec.group_id > 0).all() and set(dec.group_id.tolist()) <= {1, 2}
        env.set_actions('runner', ActionTuple(discrete=np.ones((len(dec), 1), np.int32)))
        env.step()
    # runner_0 of each area leaves after 1 step, runner_1 after 2, runner_2 after 3; then the areas start again
    assert leaving[:4] == [[], [0, 3], [1, 4], [2, 5]]
    dec, _ = env.get_steps('runner')
    assert all(ledger.ended[a] is False for a in range(6))
    assert all(sum(ledger.rewards[a]) == 1.5 * (a % 3 + 1) for a in range(6))  # each step paid 1.5, nothing lost
    assert leaving[4] == [6, 9]  # the new episode's agents have new ids


def test_turn_based_game_rewards_reach_waiting_player():
    env = make_env('pettingzoo:pettingzoo.classic.connect_four_v3', seed=0)
    names = sorted(env.behavior_specs)
    assert names == ['player?team=0', 'player?team=1']
    spec = env.behavior_specs[names[0]]
    assert spec.action_spec == ActionSpec(0, (7,))
    rng, games, ledgers = np.random.default_rng(1), 0, {n: Ledger() for n in names}
    for _ in range(400):
        waiting = []
        for n in names:
            dec, term = env.get_steps(n)
            check_steps(env.behavior_specs[n], dec, term, n)
            ledgers[n].record(dec, term)
            if len(dec): waiting.append((n, dec))
        assert len(waiting) == 1  # one player to move
        n, dec = waiting[0]
        allowed = np.flatnonzero(~dec.action_mask[0][0])
        env.set_actions(n, ActionTuple(discrete=[[rng.choice(allowed)]]))
        env.step()
    for n in names: assert len(ledgers[n].ended) >= 5
    # zero-sum: in each game the two players' returns add up to 0, and the loser's -1 reached it while it waited
    returns = {n: [sum(ledgers[n].rewards[a]) for a in sorted(ledgers[n].ended)] for n in names}
    k = min(len(returns[n]) for n in names)
    assert all(a + b == 0 for a, b in zip(returns[names[0]][:k], returns[names[1]][:k]))
    assert any(r == -1 for r in returns[names[0]] + returns[names[1]])
    env.close()


def test_teams_override_from_env_args():
    env = make_env('pettingzoo:mpe2.simple_spread_v3', N=4, max_cycles=5,
                   **parse_env_args(["teams=[[agent_0, agent_2], [agent_1, agent_3]]"]))
    assert sorted(env.behavior_specs) == ['agent?team=0', 'agent?team=1']
    d0, d1 = env.get_steps('agent?team=0')[0], env.get_steps('agent?team=1')[0]
    assert len(d0) == len(d1) == 2 and d0.group_id[0] != d1.group_id[0] and len(set(d0.group_id)) == 1
    env.close()


def test_env_plugin_prefix_from_entry_point(example_plugin):
    from agents_nb.learn import make_env_from_settings
    from agents_nb.settings import RunOptions
    env = make_env('walk:Hiker', num_areas=3, seed=2, step_size=0.5)
    assert list(env.behavior_specs) == ['Hiker'] and len(env.get_steps('Hiker')[0]) == 3
    options = RunOptions.from_argv(['--env', 'walk:Hiker', '--env-args', 'action_sizes=[0,2]'])
    env = make_env_from_settings(options.env_settings, seed=0)
    assert env.behavior_specs['Hiker'].action_spec == ActionSpec(0, (2, 2))


def test_broken_env_plugin_is_named(broken_plugins):
    from agents_nb.envs.base import UnityEnvironmentException
    with pytest.raises(UnityEnvironmentException, match="plug-in 'brokenenv'.*failed to load: ModuleNotFoundError"):
        make_env('brokenenv:x')
    assert list(make_env('builtin:SimpleEnvironment').behavior_specs) == ['1D']  # the others still work


class Respawn(Leavers):
    "runner_1 dies at step 2 and comes back at step 4; runner_2 vanishes from env.agents at step 3 with no flag."
    def __init__(self):
        super().__init__(3)

    def step(self, actions):
        self.t += 1
        obs = {a: np.array([self.t, int(a[-1])], np.float32) for a in self.agents}
        term = {a: (a == 'runner_1' and self.t == 2) or self.t == 6 for a in self.agents}
        rew, trunc = {a: 1.0 for a in self.agents}, {a: False for a in self.agents}
        self.agents = [a for a in self.agents if not term[a] and not (a == 'runner_2' and self.t == 3)]
        if self.t == 4:
            self.agents.append('runner_1'); obs['runner_1'] = np.array([self.t, 1], np.float32)
        return obs, rew, term, trunc, {a: {} for a in obs}


def test_pettingzoo_agent_that_returns_is_a_new_episode_and_one_that_vanishes_ends():
    env = PettingZooEnv(lambda: Respawn(), seed=0)
    ledger, history = Ledger(), []
    for t in range(6):
        dec, term = env.get_steps('runner')
        ledger.record(dec, term)
        history.append((dec.agent_id.tolist(), term.agent_id.tolist(), term.interrupted.tolist()))
        env.set_actions('runner', ActionTuple(discrete=np.zeros((len(dec), 1), np.int32)))
        env.step()
    assert history[2] == ([0, 2], [1], [False])  # runner_1 died
    assert history[3] == ([0], [2], [True])  # runner_2 vanished: interrupted
    assert history[4] == ([0, 3], [], [])  # runner_1 is back under a new id
    assert ledger.ended == {1: False, 2: True}
