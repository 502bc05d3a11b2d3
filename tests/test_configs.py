"""Every example YAML of ML-Agents loads unchanged into RunOptions and round-trips."""
import warnings
import pytest
import yaml
from agents_nb.settings import RunOptions, TrainerSettings, load_config, trainer_types, TrainerConfigWarning
from conftest import mlagents_configs_dir

CONFIGS = mlagents_configs_dir()
FILES = sorted(CONFIGS.rglob('*.yaml')) if CONFIGS.is_dir() else []
needs_configs = pytest.mark.skipif(not FILES, reason=f'ML-Agents example configs not found at {CONFIGS} '
                                   '(set AGENTS_NB_MLAGENTS_CONFIGS to their folder)')


def load(path):
    with warnings.catch_warnings():
        warnings.simplefilter('error', TrainerConfigWarning)  # ML-Agents' own examples must load without a warning
        return RunOptions.from_yaml(path)


@needs_configs
def test_the_configs_are_all_there():
    names = {f'{p.parent.name}/{p.name}' for p in FILES}
    for expected in ('ppo/3DBall.yaml', 'sac/Walker.yaml', 'poca/SoccerTwos.yaml', 'imitation/Pyramids.yaml',
                     'ppo/WallJump_curriculum.yaml', 'a2c/a2c_3DBall.yaml', 'dqn/dqn_basic.yaml'):
        assert expected in names
    assert len(FILES) >= 40


@needs_configs
@pytest.mark.parametrize('path', FILES, ids=lambda p: f'{p.parent.name}/{p.name}')
def test_config_loads_and_round_trips(path, example_plugin, tmp_path):
    raw = load_config(path)
    opts = load(path)
    # every behavior of the file is there, with the trainer type it asked for
    for name, entry in raw.get('behaviors', {}).items():
        assert opts.behaviors[name].trainer_type == entry.get('trainer_type', 'ppo')
    # as_dict -> from_dict, YAML text, and a file all give an equal object
    assert RunOptions.from_dict(opts.as_dict()) == opts
    assert RunOptions.from_dict(yaml.safe_load(opts.to_yaml())) == opts
    opts.save_yaml(tmp_path / 'configuration.yaml')
    assert load(tmp_path / 'configuration.yaml') == opts
    # and so does the command line
    assert RunOptions.from_argv([str(path)]) == opts


@needs_configs
def test_values_come_through(example_plugin):
    walljump = load(CONFIGS / 'ppo' / 'WallJump_curriculum.yaml')
    lessons = walljump.environment_parameters['big_wall_height'].curriculum
    assert [l.name for l in lessons] == ['Lesson0', 'Lesson1', 'Lesson2', 'Lesson3']
    assert lessons[1].value.max_value == 7.0 and lessons[3].completion_criteria is None
    assert lessons[0].completion_criteria.measure == 'progress'
    match3 = load(CONFIGS / 'ppo' / 'Match3.yaml')
    heuristic = match3.behaviors['Match3SimpleHeuristic']
    assert (heuristic.network_settings.hidden_units, heuristic.network_settings.num_layers) == (4, 1)
    assert heuristic.network_settings.vis_encode_type == 'match3'  # inherited from default_settings
    assert heuristic.hyperparameters.lambd == 0.99
    assert match3.behaviors['SomeOtherBehavior'].max_steps == 5000000
    pyramids = load(CONFIGS / 'imitation' / 'Pyramids.yaml').behaviors['Pyramids']
    assert pyramids.max_steps == 10_000_000 and set(pyramids.reward_signals) == {'extrinsic', 'curiosity', 'gail'}
    assert pyramids.behavioral_cloning.steps == 150000
    dqn = load(CONFIGS / 'trainer-plugin' / 'dqn' / 'dqn_basic.yaml').behaviors['Basic'].hyperparameters
    assert type(dqn).__name__ == 'DQNSettings' and dqn.exploration_initial_eps == 0.8
    goalie = load(CONFIGS / 'poca' / 'StrikersVsGoalie.yaml').behaviors['Goalie']
    assert (goalie.self_play.team_change, goalie.self_play.swap_steps) == (200000, 1000)


def test_plugin_types_come_from_entry_points(example_plugin):
    assert {'ppo', 'sac', 'poca', 'a2c', 'dqn'} <= set(trainer_types())
    ts = TrainerSettings.from_dict({'trainer_type': 'a2c', 'hyperparameters': {'beta': 0.001}})
    assert ts.hyperparameters.beta == 0.001 and ts.hyperparameters.num_epoch == 1


def test_broken_plugins_are_skipped_with_a_warning(broken_plugins):
    with pytest.warns(TrainerConfigWarning) as record:
        types = trainer_types()
    messages = ' '.join(str(w.message) for w in record)
    assert "'notsettings'" in messages and 'not a HyperparamSettings dataclass' in messages
    assert "'missing'" in messages and 'failed to load' in messages
    assert 'a2c' in types and 'notsettings' not in types and 'missing' not in types


def test_without_the_plugin_a2c_is_an_error():
    with pytest.raises(Exception, match=r"behaviors\.3DBall\.trainer_type: Invalid trainer type 'a2c'"):
        RunOptions.from_dict({'behaviors': {'3DBall': {'trainer_type': 'a2c'}}})
