"""An example trainer-type plug-in, found through the `agents_nb.trainer_type` entry-point group.

It declares hyperparameter classes for the `a2c` and `dqn` trainer types of ML-Agents' plug-in example configs, so
those configs load. The `.dist-info` folder next to this package is what `pip install` would write for a plug-in
whose setup.py says:

    entry_points={'agents_nb.trainer_type': ['a2c = agents_nb_example_plugin:A2CSettings',
                                             'dqn = agents_nb_example_plugin:DQNSettings']}
"""
from dataclasses import dataclass, field
from agents_nb.settings import OnPolicyHyperparamSettings, OffPolicyHyperparamSettings, ScheduleType


@dataclass
class A2CSettings(OnPolicyHyperparamSettings):
    beta: float = 5.0e-3
    lambd: float = 0.95
    num_epoch: int = 1
    shared_critic: bool = False
    learning_rate_schedule: ScheduleType = ScheduleType.LINEAR
    beta_schedule: ScheduleType = ScheduleType.LINEAR


@dataclass
class DQNSettings(OffPolicyHyperparamSettings):
    tau: float = 0.005
    exploration_schedule: ScheduleType = ScheduleType.LINEAR
    exploration_initial_eps: float = 0.1
    exploration_final_eps: float = 0.05
    target_update_interval: int = 10000


class NotSettings:  # registered under a broken entry point, to test that it is refused with a warning
    pass


def make_walk_env(name, num_areas=1, seed=0, **env_args):
    "An environment prefix (`walk:<behavior>`): ML-Agents' walk with the behavior named by the id."
    from agents_nb.envs.registry import AreasEnv
    from agents_nb.envs.simple import SimpleEnvironment
    envs = [SimpleEnvironment([name], seed=seed + k, **env_args) for k in range(num_areas)]
    return envs[0] if num_areas == 1 else AreasEnv(envs)


class TinyEncoder:
    """A visual encoder plug-in (`vis_encode_type: tiny`): average-pool the image to 4x4, then one dense layer.

    Built like the built-in encoders, `TinyEncoder(height, width, initial_channels, output_size)`, and needing
    images of at least 4x4 pixels. torch is imported lazily so that reading settings does not pay for it."""
    min_resolution = 4

    def __new__(cls, height, width, initial_channels, output_size):
        from torch import nn
        return nn.Sequential(nn.AdaptiveAvgPool2d(4), nn.Flatten(), nn.Linear(16 * initial_channels, output_size), nn.ReLU())
