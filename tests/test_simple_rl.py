"""ML-Agents' training acceptance tests (`torch_entities/test_simple_rl.py` and `test_hybrid.py`) for PPO, SAC, hybrid
actions and GAIL/BC: the same environments, configurations, step budgets, thresholds and training seed (1337 unless
noted). The threshold is on the mean of the last 5 cumulative episode rewards (`env.final_rewards`), as in ML-Agents'
`check_environment_trains`. Most are marked `slow` (run them with `pytest --runslow`); a representative subset runs in CI.
POCA and self-play come with their trainers."""
import copy, math, random
from pathlib import Path
from typing import Optional

import numpy as np
import pytest
import torch

from agents_nb.settings import TrainerSettings
from agents_nb.trainer import drive_trainer
from agents_nb.trainers.ppo import PPOTrainer
from agents_nb.trainers.sac import SACTrainer
from agents_nb.envs.simple import SimpleEnvironment, MemoryEnvironment, RecordEnvironment
from agents_nb.demos import demo_steps_to_trajectories, save_demonstrations
from rl_configs import BRAIN_NAME, ACTIONS, act_id, ppo_dummy_config, sac_dummy_config, evolve

torch.set_num_threads(1)  # these networks are tiny: one thread is faster than several (measured), and leaves cores to others

TRAINERS = {'ppo': PPOTrainer, 'sac': SACTrainer}




def check_environment_trains(env, trainer_config: dict, tmp_path: Path, success_threshold: Optional[float] = 0.9,
                             training_seed: int = 1337) -> float:
    "Train the behavior `1D` of `env` for `max_steps` steps; assert the mean of the last 5 final rewards > threshold."
    torch.manual_seed(training_seed); np.random.seed(training_seed); random.seed(training_seed)
    settings = TrainerSettings.from_dict(trainer_config)
    trainer = TRAINERS[settings.trainer_type](BRAIN_NAME, settings, training=True, load=False, seed=training_seed,
                                              artifact_path=tmp_path / 'results' / BRAIN_NAME)
    drive_trainer(env, BRAIN_NAME, trainer, settings.max_steps)
    finals = env.final_rewards[BRAIN_NAME]
    mean = float(np.mean(finals[-5:])) if finals else math.nan
    print(f'{len(finals)} episodes, mean of the last 5 final rewards {mean:.3f}')
    if success_threshold is not None:
        assert not math.isnan(mean) and mean > success_threshold, \
            f'mean of the last 5 final rewards {mean:.3f} <= {success_threshold} after {trainer.get_step} steps ' \
            f'({len(finals)} episodes); last rewards: {[round(r, 3) for r in finals[-10:]]}'
    return mean


@pytest.fixture(scope='session')
def simple_record(tmp_path_factory):
    "ML-Agents' `simple_record`: 100 steps of the optimal policy on `RecordEnvironment`, saved as a demonstration file."
    def record_demo(action_sizes, num_visual=0, num_vector=1):
        env = RecordEnvironment([BRAIN_NAME], action_sizes=action_sizes, num_visual=num_visual, num_vector=num_vector, n_demos=100)
        env.solve()
        spec = env.behavior_specs[BRAIN_NAME]
        trajectories = demo_steps_to_trajectories(spec, env.demonstration_steps[BRAIN_NAME], BRAIN_NAME)
        name = '1DTest' + ('Discrete' if action_sizes[1] else 'Continuous')
        return str(save_demonstrations(tmp_path_factory.mktemp('tmp_demo') / name, spec, trajectories, BRAIN_NAME))
    return record_demo


ENCODERS = ['resnet', 'nature_cnn', 'match3']

def _advanced_vis_size(encoder): return (5, 5, 5) if encoder == 'match3' else (3, 36, 36)


# ---------------------------------------------------------------------------------------------------------------- PPO
@pytest.mark.parametrize('action_sizes', ACTIONS, ids=act_id)
def test_simple_ppo(action_sizes, tmp_path):
    env = SimpleEnvironment([BRAIN_NAME], action_sizes=action_sizes)
    check_environment_trains(env, ppo_dummy_config(), tmp_path)

@pytest.mark.slow
@pytest.mark.parametrize('action_sizes', [(0, 2), (2, 0)], ids=act_id)
def test_2d_ppo(action_sizes, tmp_path):
    env = SimpleEnvironment([BRAIN_NAME], action_sizes=action_sizes, step_size=0.8)
    config = evolve(ppo_dummy_config(), {'batch_size': 64, 'buffer_size': 640}, max_steps=10000)
    check_environment_trains(env, config, tmp_path)

@pytest.mark.slow
@pytest.mark.parametrize('shared_critic', [True, False])
@pytest.mark.parametrize('num_visual', [1, 2])
@pytest.mark.parametrize('action_sizes', ACTIONS, ids=act_id)
def test_visual_ppo(shared_critic, num_visual, action_sizes, tmp_path):
    env = SimpleEnvironment([BRAIN_NAME], action_sizes=action_sizes, num_visual=num_visual, num_vector=0, step_size=0.2)
    config = evolve(ppo_dummy_config(), {'learning_rate': 3.0e-4, 'shared_critic': shared_critic})
    check_environment_trains(env, config, tmp_path)

@pytest.mark.slow
@pytest.mark.parametrize('num_vis', [0, 1])
@pytest.mark.parametrize('num_vector', [0, 1])
@pytest.mark.parametrize('num_var_len', [1, 2])
@pytest.mark.parametrize('action_sizes', ACTIONS, ids=act_id)
@pytest.mark.parametrize('conditioning_type', ['hyper'])
def test_var_len_obs_and_goal_ppo(conditioning_type, action_sizes, num_var_len, num_vector, num_vis, tmp_path):
    env = SimpleEnvironment([BRAIN_NAME], action_sizes=action_sizes, num_visual=num_vis, num_vector=num_vector,
                            num_var_len=num_var_len, step_size=0.2, goal_indices=[0])
    # ML-Agents: the POCA dummy network (the same as PPO's) with the conditioning type
    config = evolve(ppo_dummy_config(), {'learning_rate': 3.0e-4}, {'goal_conditioning_type': conditioning_type})
    check_environment_trains(env, config, tmp_path)

@pytest.mark.slow
@pytest.mark.parametrize('vis_encode_type', ENCODERS)
@pytest.mark.parametrize('num_visual', [1, 2])
def test_visual_advanced_ppo(vis_encode_type, num_visual, tmp_path):
    env = SimpleEnvironment([BRAIN_NAME], action_sizes=(0, 1), num_visual=num_visual, num_vector=0, step_size=0.5,
                            vis_obs_size=_advanced_vis_size(vis_encode_type))
    config = evolve(ppo_dummy_config(), {'learning_rate': 3.0e-4}, max_steps=900, summary_freq=100)
    config['network_settings'] = {**sac_dummy_config()['network_settings'], 'vis_encode_type': vis_encode_type}
    # the number of steps is small for these encoders
    check_environment_trains(env, config, tmp_path, success_threshold=0.5)

@pytest.mark.parametrize('action_sizes', [pytest.param((0, 1), marks=pytest.mark.slow), (1, 0)], ids=act_id)
def test_recurrent_ppo(action_sizes, tmp_path):
    env = MemoryEnvironment([BRAIN_NAME], action_sizes=action_sizes)
    config = evolve(ppo_dummy_config(), {'learning_rate': 1.0e-3, 'batch_size': 64, 'buffer_size': 128},
                    {'memory': {'memory_size': 16}}, max_steps=6000)
    check_environment_trains(env, config, tmp_path)


# ---------------------------------------------------------------------------------------------------------------- SAC
@pytest.mark.parametrize('action_sizes', ACTIONS, ids=act_id)
def test_simple_sac(action_sizes, tmp_path):
    env = SimpleEnvironment([BRAIN_NAME], action_sizes=action_sizes)
    check_environment_trains(env, sac_dummy_config(), tmp_path)

@pytest.mark.slow
@pytest.mark.parametrize('action_sizes', [(0, 2), (2, 0)], ids=act_id)
def test_2d_sac(action_sizes, tmp_path):
    env = SimpleEnvironment([BRAIN_NAME], action_sizes=action_sizes, step_size=0.8)
    config = evolve(sac_dummy_config(), {'buffer_init_steps': 2000}, max_steps=3000)
    check_environment_trains(env, config, tmp_path, success_threshold=0.8)

@pytest.mark.slow
@pytest.mark.parametrize('num_visual', [1, 2])
@pytest.mark.parametrize('action_sizes', ACTIONS, ids=act_id)
def test_visual_sac(action_sizes, num_visual, tmp_path):
    env = SimpleEnvironment([BRAIN_NAME], action_sizes=action_sizes, num_visual=num_visual, num_vector=0, step_size=0.2)
    config = evolve(sac_dummy_config(), {'batch_size': 16, 'learning_rate': 3.0e-4})
    check_environment_trains(env, config, tmp_path)

@pytest.mark.slow
@pytest.mark.parametrize('num_var_len', [1, 2])
@pytest.mark.parametrize('action_sizes', ACTIONS, ids=act_id)
def test_var_len_obs_sac(num_var_len, action_sizes, tmp_path):
    env = SimpleEnvironment([BRAIN_NAME], action_sizes=action_sizes, num_visual=0, num_var_len=num_var_len, num_vector=0,
                            step_size=0.2)
    config = evolve(sac_dummy_config(), {'batch_size': 16, 'learning_rate': 3.0e-4})
    check_environment_trains(env, config, tmp_path)

@pytest.mark.slow
@pytest.mark.parametrize('vis_encode_type', ENCODERS)
@pytest.mark.parametrize('num_visual', [1, 2])
def test_visual_advanced_sac(vis_encode_type, num_visual, tmp_path):
    env = SimpleEnvironment([BRAIN_NAME], action_sizes=(0, 1), num_visual=num_visual, num_vector=0, step_size=0.5,
                            vis_obs_size=_advanced_vis_size(vis_encode_type))
    config = evolve(sac_dummy_config(), {'batch_size': 16, 'learning_rate': 3.0e-4, 'buffer_init_steps': 0},
                    {'vis_encode_type': vis_encode_type}, max_steps=100)
    # the number of steps is small for these encoders
    check_environment_trains(env, config, tmp_path, success_threshold=0.5)

@pytest.mark.slow
@pytest.mark.parametrize('action_sizes', ACTIONS, ids=act_id)
def test_recurrent_sac(action_sizes, tmp_path):
    step_size = 0.2 if action_sizes == (0, 1) else 0.5
    env = MemoryEnvironment([BRAIN_NAME], action_sizes=action_sizes, step_size=step_size)
    config = evolve(sac_dummy_config(), {'batch_size': 256, 'learning_rate': 3.0e-4, 'buffer_init_steps': 1000, 'steps_per_update': 2},
                    {'memory': {'memory_size': 16, 'sequence_length': 16}}, max_steps=4000)
    check_environment_trains(env, config, tmp_path, training_seed=1337)


# ------------------------------------------------------------------------------------------------------- hybrid actions
HYBRID = [(1, 1), (2, 2), (1, 2), (2, 1)]

@pytest.mark.slow
@pytest.mark.parametrize('action_sizes', HYBRID, ids=act_id)
def test_hybrid_ppo(action_sizes, tmp_path):
    env = SimpleEnvironment([BRAIN_NAME], action_sizes=action_sizes, step_size=0.8)
    config = evolve(ppo_dummy_config(), {'batch_size': 64, 'buffer_size': 1024, 'learning_rate': 1.0e-3}, max_steps=20000)
    check_environment_trains(env, config, tmp_path)

@pytest.mark.slow
@pytest.mark.parametrize('num_visual,training_seed', [(1, 1336), (2, 1338)])
def test_hybrid_visual_ppo(num_visual, training_seed, tmp_path):
    env = SimpleEnvironment([BRAIN_NAME], num_visual=num_visual, num_vector=0, action_sizes=(1, 1))
    config = evolve(ppo_dummy_config(), {'batch_size': 64, 'buffer_size': 1024, 'learning_rate': 1.0e-4}, max_steps=8000)
    check_environment_trains(env, config, tmp_path, training_seed=training_seed)

@pytest.mark.slow
def test_hybrid_recurrent_ppo(tmp_path):
    env = MemoryEnvironment([BRAIN_NAME], action_sizes=(1, 1), step_size=0.5)
    config = evolve(ppo_dummy_config(), {'learning_rate': 1.0e-3, 'batch_size': 64, 'buffer_size': 512},
                    {'memory': {'memory_size': 16}}, max_steps=5000)
    check_environment_trains(env, config, tmp_path)

@pytest.mark.slow
@pytest.mark.parametrize('action_sizes', HYBRID, ids=act_id)
def test_hybrid_sac(action_sizes, tmp_path):
    env = SimpleEnvironment([BRAIN_NAME], action_sizes=action_sizes, step_size=0.8)
    config = evolve(sac_dummy_config(), {'buffer_size': 50000, 'batch_size': 256, 'buffer_init_steps': 0}, max_steps=10000)
    check_environment_trains(env, config, tmp_path)

@pytest.mark.slow
@pytest.mark.parametrize('num_visual,training_seed', [(1, 1337), (2, 1338)])
def test_hybrid_visual_sac(num_visual, training_seed, tmp_path):
    env = SimpleEnvironment([BRAIN_NAME], num_visual=num_visual, num_vector=0, action_sizes=(1, 1))
    config = evolve(sac_dummy_config(), {'buffer_size': 50000, 'batch_size': 128, 'learning_rate': 3.0e-4}, max_steps=3000)
    check_environment_trains(env, config, tmp_path, training_seed=training_seed)

@pytest.mark.slow
def test_hybrid_recurrent_sac(tmp_path):
    env = MemoryEnvironment([BRAIN_NAME], action_sizes=(1, 1), step_size=0.5)
    config = evolve(sac_dummy_config(), {'batch_size': 256, 'learning_rate': 3.0e-4, 'buffer_init_steps': 1000, 'steps_per_update': 2},
                    {'memory': {'memory_size': 16, 'sequence_length': 16}}, max_steps=4000)
    check_environment_trains(env, config, tmp_path, training_seed=1212)


# ------------------------------------------------------------------------------------------------------------ imitation
# ML-Agents' tests set GAIL's deprecated `encoding_size`; keep it, without the warning
pytestmark_gail = pytest.mark.filterwarnings('ignore:reward_signals.gail.encoding_size is deprecated')

@pytestmark_gail
@pytest.mark.parametrize('trainer_type', ['ppo', pytest.param('sac', marks=pytest.mark.slow)])
@pytest.mark.parametrize('action_sizes', [pytest.param((0, 1), marks=pytest.mark.slow), (1, 0)], ids=act_id)
def test_gail(simple_record, action_sizes, trainer_type, tmp_path):
    demo_path = simple_record(action_sizes)
    env = SimpleEnvironment([BRAIN_NAME], action_sizes=action_sizes, step_size=0.2)
    config = evolve(ppo_dummy_config() if trainer_type == 'ppo' else sac_dummy_config(), max_steps=500,
                    reward_signals={'gail': {'encoding_size': 32, 'demo_path': demo_path}},  # GAIL only: no extrinsic reward
                    behavioral_cloning={'demo_path': demo_path, 'steps': 1000})
    check_environment_trains(env, config, tmp_path)

@pytestmark_gail
@pytest.mark.slow
@pytest.mark.parametrize('action_sizes', ACTIONS, ids=act_id)
def test_gail_visual_ppo(simple_record, action_sizes, tmp_path):
    demo_path = simple_record(action_sizes, num_visual=1, num_vector=0)
    env = SimpleEnvironment([BRAIN_NAME], num_visual=1, num_vector=0, action_sizes=action_sizes, step_size=0.3)
    config = evolve(ppo_dummy_config(), {'learning_rate': 1.0e-3}, max_steps=1000,
                    reward_signals={'gail': {'gamma': 0.8, 'encoding_size': 32, 'demo_path': demo_path}},
                    behavioral_cloning={'demo_path': demo_path, 'steps': 1500})
    check_environment_trains(env, config, tmp_path)

@pytestmark_gail
@pytest.mark.slow
@pytest.mark.parametrize('action_sizes', ACTIONS, ids=act_id)
def test_gail_visual_sac(simple_record, action_sizes, tmp_path):
    demo_path = simple_record(action_sizes, num_visual=1, num_vector=0)
    env = SimpleEnvironment([BRAIN_NAME], num_visual=1, num_vector=0, action_sizes=action_sizes, step_size=0.2)
    config = evolve(sac_dummy_config(), {'learning_rate': 3.0e-4, 'batch_size': 16}, max_steps=500,
                    reward_signals={'gail': {'encoding_size': 32, 'demo_path': demo_path}},
                    behavioral_cloning={'demo_path': demo_path, 'steps': 1000})
    check_environment_trains(env, config, tmp_path)
