"""The installed `agents-nb-learn` console script, run as a user runs it."""
import os, shutil, subprocess, sys
import pytest
from agents_nb.settings import RunOptions

EXE = shutil.which('agents-nb-learn')
pytestmark = pytest.mark.skipif(EXE is None, reason='agents-nb-learn is not installed (pip install -e .)')


def learn(*args, cwd):
    return subprocess.run([EXE, *map(str, args)], cwd=cwd, capture_output=True, text=True, timeout=120)


def test_help_lists_the_flags(tmp_path):
    r = learn('--help', cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    for flag in ('--env', '--resume', '--force', '--run-id', '--initialize-from', '--seed', '--inference', '--num-envs',
                 '--num-areas', '--env-args', '--results-dir', '--torch-device', '--max-lifetime-restarts', '--no-graphics'):
        assert flag in r.stdout


def test_writes_the_configuration(tmp_path):
    (tmp_path / 'cfg.yaml').write_text('behaviors:\n  Ball:\n    trainer_type: sac\n    max_steps: 5.0e5\n')
    r = learn('cfg.yaml', '--run-id', 'r1', '--seed', '3', cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    saved = RunOptions.from_yaml(tmp_path / 'results' / 'r1' / 'configuration.yaml')
    assert saved.behaviors['Ball'].trainer_type == 'sac' and saved.env_settings.seed == 3
    assert (tmp_path / 'results' / 'r1' / 'run_logs').is_dir()


@pytest.mark.parametrize('yaml_text,args,expected', [
    ('behaviors:\n  Walker:\n    network_settings:\n      hidden_unit: 7\n', [],
     "behaviors.Walker.network_settings.hidden_unit: 'hidden_unit' is not an option of NetworkSettings; did you mean 'hidden_units'?"),
    ('behaviors:\n  Walker:\n    trainer_type: ppo\n    hyperparameters:\n      batch_size: lots\n', [],
     "behaviors.Walker.hyperparameters.batch_size: expected an integer, got str 'lots'"),
    ('behaviors:\n  Walker:\n    trainer_type: ppo\n   max_steps: 3\n', [], 'Error parsing yaml file: line 4'),
    ('behaviors: {}\n', ['--num-envs', 'many'], "argument --num-envs: invalid int value: 'many'"),
    ('behaviors: {}\n', ['--num-env', '2'], "unrecognized argument --num-env; did you mean '--num-envs'?"),
    ('behaviors: {}\n', ['--resume'], 'Previous data from this run ID was not found'),
])
def test_bad_input_is_one_line_and_status_2(tmp_path, yaml_text, args, expected):
    (tmp_path / 'cfg.yaml').write_text(yaml_text)
    r = learn('cfg.yaml', *args, cwd=tmp_path)
    assert r.returncode == 2
    assert r.stderr.count('\n') == 1 and 'Traceback' not in r.stderr, r.stderr
    assert r.stderr.startswith('agents-nb-learn: error: ') and expected in r.stderr
    assert not (tmp_path / 'results' / 'ppo').exists()


def test_missing_config_file(tmp_path):
    r = learn('nope.yaml', cwd=tmp_path)
    assert r.returncode == 2 and 'Config file could not be found at' in r.stderr and 'Traceback' not in r.stderr


def test_existing_run_is_protected(tmp_path):
    assert learn('--run-id', 'r', cwd=tmp_path).returncode == 0
    (tmp_path / 'results' / 'r' / 'keep.txt').write_text('data')
    r = learn('--run-id', 'r', cwd=tmp_path)
    assert r.returncode == 2 and 'Previous data from this run ID was found' in r.stderr
    assert learn('--run-id', 'r', '--force', cwd=tmp_path).returncode == 0
    assert (tmp_path / 'results' / 'r' / 'keep.txt').read_text() == 'data'


def test_debug_shows_the_traceback(tmp_path):
    r = learn('--num-envs', 'x', '--debug', cwd=tmp_path)
    assert r.returncode == 2 and 'Traceback' in r.stderr


def test_module_entry_point(tmp_path):
    r = subprocess.run([sys.executable, '-c', 'import sys; from agents_nb.learn import main; sys.exit(main(["--help"]))'],
                       cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0 and '--run-id' in r.stdout
