"""ML-Agents' test configurations (`dummy_config.py`) as YAML-schema dicts, shared by the acceptance tests of PPO, SAC,
POCA and self-play. Edit a copy with `evolve`."""
import copy
from typing import Optional

BRAIN_NAME = '1D'
ACTIONS = [(0, 1), (1, 0)]
def act_id(a): return f'c{a[0]}d{a[1]}'  # (continuous, discrete) sizes


# ML-Agents' dummy_config.py, as plain YAML-schema dicts (edit a deepcopy with `evolve`)
def ppo_dummy_config() -> dict:
    # ML-Agents builds PPOSettings directly, so the schedule-inheritance rule does not apply: beta and epsilon stay linear
    return {'trainer_type': 'ppo',
            'hyperparameters': {'learning_rate': 5.0e-3, 'learning_rate_schedule': 'constant', 'beta_schedule': 'linear',
                                'epsilon_schedule': 'linear', 'batch_size': 16, 'buffer_size': 64},
            'network_settings': {'num_layers': 1, 'hidden_units': 32},
            'summary_freq': 500, 'max_steps': 3000, 'threaded': False}

def sac_dummy_config() -> dict:
    return {'trainer_type': 'sac',
            'hyperparameters': {'learning_rate': 5.0e-3, 'learning_rate_schedule': 'constant', 'batch_size': 8,
                                'buffer_init_steps': 100, 'buffer_size': 5000, 'tau': 0.01, 'init_entcoef': 0.01},
            'network_settings': {'num_layers': 1, 'hidden_units': 16},
            'summary_freq': 100, 'max_steps': 1000, 'threaded': False}

def evolve(config: dict, hyperparameters: Optional[dict] = None, network_settings: Optional[dict] = None, **changes) -> dict:
    "A copy of `config` with some hyperparameters, network settings and top-level fields changed (like `attr.evolve`)."
    c = copy.deepcopy(config)
    c['hyperparameters'].update(hyperparameters or {})
    c['network_settings'].update(network_settings or {})
    c.update(changes)
    return c


def poca_dummy_config() -> dict:
    "ML-Agents' `poca_dummy_config`: PPO's dummy settings with trainer_type poca."
    return {**ppo_dummy_config(), 'trainer_type': 'poca'}
