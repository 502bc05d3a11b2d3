"Environment workers in their own processes: parallel stepping, a crash that is restarted, a failure that stops the run."
import functools
import numpy as np
import pytest

from agents_nb.envs.base import ActionTuple, check_steps
from agents_nb.envs.manager import EnvManager, EnvironmentWorkerError
from agents_nb.envs.simple import SimpleEnvironment
from agents_nb.learn import make_env_manager
from agents_nb.settings import RunOptions

import worker_envs


def collect(envs, steps, name='1D', log=None):
    """Drive `envs` with a constant action, recording every transition per agent id like a trainer's agent processor.

    Returns {agent_id: [(kind, reward, interrupted)]}; kinds are 'decision' and 'terminal'."""
    log = {} if log is None else log
    spec = envs.behavior_specs[name]
    for _ in range(steps):
        dec, term = envs.get_steps(name)
        check_steps(spec, dec, term, name)
        for a, r, i in zip(term.agent_id.tolist(), term.reward.tolist(), term.interrupted.tolist()):
            log.setdefault(a, []).append(('terminal', r, i))
        for a, r in zip(dec.agent_id.tolist(), dec.reward.tolist()):
            log.setdefault(a, []).append(('decision', r, False))
        envs.set_actions(name, ActionTuple(continuous=np.full((len(dec), 1), 0.2, np.float32)))
        envs.step()
    return log


def check_episodes(log):
    "Every agent id is one episode: decisions, then at most one terminal, and nothing after it."
    for a, events in log.items():
        kinds = [k for k, _, _ in events]
        assert 'terminal' not in kinds[:-1], (a, kinds)


def test_process_workers_step_in_parallel_with_their_own_seeds():
    with EnvManager(lambda k: SimpleEnvironment(seed=k), num_envs=3) as envs:
        assert envs.processes
        dec, _ = envs.get_steps('1D')
        assert dec.agent_id.tolist() == [3, 4, 5]
        log = collect(envs, 40)
    check_episodes(log)
    finished = [a for a, ev in log.items() if ev[-1][0] == 'terminal']
    assert len(finished) >= 3
    assert {a % 3 for a in finished} == {0, 1, 2}  # every worker finished episodes


def test_crashed_worker_is_restarted_and_collected_data_stays_intact(tmp_path):
    make = functools.partial(worker_envs.make_crashes_once, str(tmp_path / 'crashed'))
    with EnvManager(make, num_envs=2, processes=True) as envs:
        log = collect(envs, 3)
        before = {a: list(ev) for a, ev in log.items()}
        collect(envs, 20, log=log)
        assert envs.restarts == [1, 0]
    assert (tmp_path / 'crashed').exists()
    check_episodes(log)
    for a, ev in before.items():  # what was collected before the crash is still there, unchanged
        assert log[a][:len(ev)] == ev
    interrupted = [a for a, ev in log.items() if ev[-1] == ('terminal', 0.0, True)]
    assert len(interrupted) == 1 and interrupted[0] % 2 == 0  # the crashed worker's agent ended as interrupted
    after = [a for a in log if a % 2 == 0 and a > interrupted[0]]
    assert after and all(log[a][0] == ('decision', 0.0, False) for a in after)  # new episodes start clean
    assert sum(1 for ev in log.values() for k, _, _ in ev if k == 'decision') == 2 * 23


def test_worker_failing_every_step_stops_with_clear_error_after_budget():
    envs = EnvManager(worker_envs.make_always_fails, num_envs=2, processes=True, max_lifetime_restarts=2,
                      restarts_rate_limit_n=-1)
    kept = collect(envs, 0)
    with pytest.raises(EnvironmentWorkerError) as err:
        for _ in range(5):
            envs.set_actions('1D', ActionTuple(continuous=np.zeros((len(envs.get_steps('1D')[0]), 1), np.float32)))
            envs.step()
            kept.setdefault('steps', []).append(1)
    msg = str(err.value)
    assert 'Environment worker 0 failed (RuntimeError: the simulator diverged) and may not restart' in msg
    assert 'max_lifetime_restarts=2' in msg and '--max-lifetime-restarts' in msg
    assert envs.restarts == [2, 2]
    assert kept['steps'] == [1, 1]  # two steps went through (each with restarts) before the budget ran out
    assert all(w.process is None for w in envs.workers)  # the workers were shut down


def test_make_env_manager_from_cli_flags_with_gym_workers():
    options = RunOptions.from_argv(['--env', 'gym:CartPole-v1', '--num-envs', '2', '--num-areas', '3', '--seed', '7',
                                    '--max-lifetime-restarts', '4'])
    with make_env_manager(options.env_settings) as envs:
        assert envs.processes and envs.policy.max_lifetime == 4
        spec = envs.behavior_specs['CartPole']
        rng = np.random.default_rng(0)
        ended = 0
        for _ in range(60):
            dec, term = envs.get_steps('CartPole')
            check_steps(spec, dec, term, 'CartPole')
            assert len(dec) == 6
            ended += len(term)
            envs.set_actions('CartPole', spec.action_spec.random_action(len(dec), rng))
            envs.step()
        assert ended > 0
