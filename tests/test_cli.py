"""The installed `agents-nb-learn` console script, run as a user runs it."""
import os, shutil, subprocess, sys
import pytest
from agents_nb.settings import RunOptions

EXE = shutil.which('agents-nb-learn')
pytestmark = pytest.mark.skipif(EXE is None, reason='agents-nb-learn is not installed (pip install -e .)')


def learn(*args, cwd):
    return subprocess.run([EXE, *map(str, args)], cwd=cwd, capture_output=True, text=True, timeout=300)


TINY_SAC = """behaviors:
  1D:
    trainer_type: sac
    max_steps: 300
    summary_freq: 100
    hyperparameters: {batch_size: 8, buffer_init_steps: 50, learning_rate: 5.0e-3}
    network_settings: {hidden_units: 16, num_layers: 1}
env_settings:
  env_path: builtin:SimpleEnvironment
"""


def test_help_lists_the_flags(tmp_path):
    r = learn('--help', cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    for flag in ('--env', '--resume', '--force', '--run-id', '--initialize-from', '--seed', '--inference', '--num-envs',
                 '--num-areas', '--env-args', '--results-dir', '--torch-device', '--max-lifetime-restarts', '--no-graphics'):
        assert flag in r.stdout


def test_trains_and_writes_the_results_tree(tmp_path):
    (tmp_path / 'cfg.yaml').write_text(TINY_SAC)
    r = learn('cfg.yaml', '--run-id', 'r1', '--seed', '3', cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    run = tmp_path / 'results' / 'r1'
    saved = RunOptions.from_yaml(run / 'configuration.yaml')
    assert saved.behaviors['1D'].trainer_type == 'sac' and saved.env_settings.seed == 3
    assert '1D. Step: ' in r.stdout and '1D: trained to step' in r.stdout
    for path in ('run_logs/training_status.json', 'run_logs/timers.json', '1D.onnx', '1D/checkpoint.pt', '1D/stats.csv'):
        assert (run / path).is_file(), path


def test_same_seed_same_stats(tmp_path):
    "--seed makes a CPU run repeatable: the same seed writes the same stats.csv (wall times aside)."
    (tmp_path / 'cfg.yaml').write_text(TINY_SAC)
    for run_id in ('a', 'b'): assert learn('cfg.yaml', '--run-id', run_id, '--seed', '5', '--torch-device', 'cpu', cwd=tmp_path).returncode == 0
    read = lambda run_id: [line.split(',')[:1] + line.split(',')[2:] for line in
                           (tmp_path / 'results' / run_id / '1D' / 'stats.csv').read_text().splitlines()]
    assert read('a') == read('b') and len(read('a')) > 10


def test_seed_minus_one_is_drawn_and_recorded(tmp_path):
    (tmp_path / 'cfg.yaml').write_text(TINY_SAC.replace('max_steps: 300', 'max_steps: 60'))
    assert learn('cfg.yaml', '--run-id', 'r', '--seed', '-1', cwd=tmp_path).returncode == 0
    assert RunOptions.from_yaml(tmp_path / 'results' / 'r' / 'configuration.yaml').env_settings.seed >= 0


@pytest.mark.parametrize('yaml_text,args,expected', [
    ('behaviors:\n  Walker:\n    network_settings:\n      hidden_unit: 7\n', [],
     "behaviors.Walker.network_settings.hidden_unit: 'hidden_unit' is not an option of NetworkSettings; did you mean 'hidden_units'?"),
    ('behaviors:\n  Walker:\n    trainer_type: ppo\n    hyperparameters:\n      batch_size: lots\n', [],
     "behaviors.Walker.hyperparameters.batch_size: expected an integer, got str 'lots'"),
    ('behaviors:\n  Walker:\n    trainer_type: ppo\n   max_steps: 3\n', [], 'Error parsing yaml file: line 4'),
    ('behaviors: {}\n', ['--num-envs', 'many'], "argument --num-envs: invalid int value: 'many'"),
    ('behaviors: {}\n', ['--num-env', '2'], "unrecognized argument --num-env; did you mean '--num-envs'?"),
    ('behaviors: {}\n', ['--resume', '--env', 'builtin:SimpleEnvironment'], 'Previous data from this run ID was not found'),
    ('behaviors: {}\n', [], 'No environment was given: use --env'),
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
    (tmp_path / 'cfg.yaml').write_text(TINY_SAC.replace('max_steps: 300', 'max_steps: 60'))
    assert learn('cfg.yaml', '--run-id', 'r', cwd=tmp_path).returncode == 0
    (tmp_path / 'results' / 'r' / 'keep.txt').write_text('data')
    r = learn('cfg.yaml', '--run-id', 'r', cwd=tmp_path)
    assert r.returncode == 2 and 'Previous data from this run ID was found' in r.stderr
    assert learn('cfg.yaml', '--run-id', 'r', '--force', cwd=tmp_path).returncode == 0
    assert (tmp_path / 'results' / 'r' / 'keep.txt').read_text() == 'data'


def test_debug_shows_the_traceback(tmp_path):
    r = learn('--num-envs', 'x', '--debug', cwd=tmp_path)
    assert r.returncode == 2 and 'Traceback' in r.stderr


def test_module_entry_point(tmp_path):
    r = subprocess.run([sys.executable, '-c', 'import sys; from agents_nb.learn import main; sys.exit(main(["--help"]))'],
                       cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0 and '--run-id' in r.stdout
