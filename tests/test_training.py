"""Whole runs: a run killed with SIGKILL resumes from its last checkpoint and keeps learning; `--initialize-from`
starts at step 0 from the old weights; a disk that fills mid-run ends it with one line and the last checkpoint
intact; the ONNX file a run writes gives the policy's deterministic actions in onnxruntime."""
import errno, json, os, shutil, signal, subprocess, sys, time
from pathlib import Path
from unittest import mock

import numpy as np
import pytest

torch = pytest.importorskip('torch')
from agents_nb.learn import train
from agents_nb.stats import read_stats_csv
from agents_nb.envs.simple import SimpleEnvironment
from agents_nb.checkpoints import is_temp_file

EXE = shutil.which('agents-nb-learn')

WALK = """behaviors:
  1D:
    trainer_type: ppo
    max_steps: {max_steps}
    summary_freq: 250
    checkpoint_interval: 250
    keep_checkpoints: 3
    hyperparameters: {{batch_size: 16, buffer_size: 64, learning_rate: 5.0e-3, learning_rate_schedule: constant}}
    network_settings: {{hidden_units: 32, num_layers: 1}}
env_settings:
  env_path: builtin:SimpleEnvironment
"""


def _status_steps(run: Path):
    try: return [c['steps'] for c in json.loads((run / 'run_logs' / 'training_status.json').read_text())['1D']['checkpoints']]
    except (FileNotFoundError, KeyError, json.JSONDecodeError): return []


@pytest.mark.skipif(EXE is None, reason='agents-nb-learn is not installed (pip install -e .)')
def test_a_killed_run_resumes_from_its_last_checkpoint_and_keeps_learning(tmp_path):
    (tmp_path / 'walk.yaml').write_text(WALK.format(max_steps=3000))
    run = tmp_path / 'results' / 'k'
    proc = subprocess.Popen([EXE, 'walk.yaml', '--run-id', 'k', '--seed', '1', '--torch-device', 'cpu'], cwd=tmp_path,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.time() + 240
    while time.time() < deadline and max(_status_steps(run), default=0) < 750 and proc.poll() is None: time.sleep(0.05)
    proc.send_signal(signal.SIGKILL); proc.wait()
    killed_at = max(_status_steps(run), default=0)
    assert 750 <= killed_at < 3000, f'the run should have been killed mid-way (last checkpoint {killed_at})'
    state = torch.load(run / '1D' / 'checkpoint.pt', weights_only=True)      # the last good checkpoint loads
    assert int(state['global_step']['_GlobalSteps__global_step'][0]) >= killed_at
    r = subprocess.run([EXE, 'walk.yaml', '--run-id', 'k', '--resume', '--seed', '1', '--torch-device', 'cpu'], cwd=tmp_path,
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr
    final = int(r.stdout.split('1D: trained to step ')[1].split(';')[0])
    assert 3000 <= final < 3100
    rows = [x for x in read_stats_csv(run / '1D' / 'stats.csv') if x['key'] == 'Environment/Cumulative Reward']
    steps = [x['step'] for x in rows]
    assert min(steps) < killed_at and max(steps) >= 2750   # stats.csv kept the first part and the resumed run appended
    assert rows[-1]['value'] > 0.9, rows[-3:]             # and it keeps learning (the walk's best is 1.02)
    assert (run / '1D.onnx').exists()


def test_the_runs_onnx_gives_the_policys_deterministic_actions(tmp_path):
    pytest.importorskip('onnxruntime')
    from agents_nb.networks import check_export
    (tmp_path / 'walk.yaml').write_text(WALK.format(max_steps=500))
    trainers = train(str(tmp_path / 'walk.yaml'), '--run-id', 'o', '--results-dir', str(tmp_path / 'results'), '--torch-device', 'cpu',
                     env=SimpleEnvironment(['1D'], action_sizes=(1, 1), seed=0), print_fn=lambda line: None, progress=False)
    actor = trainers['1D'].policy.actor
    for onnx in [tmp_path / 'results' / 'o' / '1D.onnx', *sorted((tmp_path / 'results' / 'o' / '1D').glob('1D-*.onnx'))[-1:]]:
        assert check_export(actor, onnx, batch=16) < 1e-5, onnx


def _rewards(run: Path):
    return [(x['step'], x['value']) for x in read_stats_csv(run / '1D' / 'stats.csv') if x['key'] == 'Environment/Cumulative Reward']


def test_initialize_from_starts_at_step_zero_with_the_old_weights(tmp_path):
    (tmp_path / 'walk.yaml').write_text(WALK.format(max_steps=2000))   # seed 3 passes 0.9 between 1500 and 1750 steps
    (tmp_path / 'short.yaml').write_text(WALK.format(max_steps=250))
    quiet = dict(print_fn=lambda line: None, progress=False)
    common = ('--results-dir', str(tmp_path / 'results'), '--torch-device', 'cpu', '--seed', '3')
    old = train(str(tmp_path / 'walk.yaml'), '--run-id', 'old', *common, **quiet)['1D']
    assert _rewards(tmp_path / 'results' / 'old')[-1][1] > 0.9          # the old run learned the walk
    old_weights = {k: v.clone() for k, v in old.policy.actor.state_dict().items()}
    loaded = {}
    real_load = old.model_saver.__class__.initialize_or_load
    def spy(saver, *args, **kwargs):   # the weights right after loading, before any update
        out = real_load(saver, *args, **kwargs)
        loaded.update({k: v.clone() for k, v in saver.modules['Policy'].state_dict().items()})
        return out
    with mock.patch.object(old.model_saver.__class__, 'initialize_or_load', spy):
        new = train(str(tmp_path / 'short.yaml'), '--run-id', 'new', '--initialize-from', 'old', *common, **quiet)['1D']
    assert loaded and all(torch.equal(loaded[k], old_weights[k]) for k in old_weights)
    assert 250 <= new.get_step < 350                                      # counted from 0, not from 2000
    fresh = train(str(tmp_path / 'short.yaml'), '--run-id', 'fresh', *common, **quiet)['1D']
    first_new, first_fresh = _rewards(tmp_path / 'results' / 'new')[0], _rewards(tmp_path / 'results' / 'fresh')[0]
    assert first_new[0] <= 350 and first_new[1] > 0.9, first_new          # it acts like the trained policy at once
    assert first_fresh[1] < first_new[1] - 0.3, (first_fresh, first_new)   # which a fresh start does not


def test_a_full_disk_ends_the_run_with_one_line_and_keeps_the_last_checkpoint(tmp_path, capsys):
    from agents_nb.learn import main
    (tmp_path / 'walk.yaml').write_text(WALK.format(max_steps=1500))
    run = tmp_path / 'results' / 'disk'
    real_fsync = os.fsync
    def fsync(fd):   # the disk fills once the first checkpoint is on it
        if list((run / '1D').glob('1D-*.pt')): raise OSError(errno.ENOSPC, 'No space left on device')
        return real_fsync(fd)
    with mock.patch('os.fsync', fsync):
        code = main([str(tmp_path / 'walk.yaml'), '--run-id', 'disk', '--results-dir', str(tmp_path / 'results'),
                     '--torch-device', 'cpu', '--seed', '1'])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 1
    assert len(err) == 1 and err[0].startswith('agents-nb-learn: error: cannot write the run folder: ') \
        and 'No space left on device' in err[0] and f'last good checkpoint of each behavior is in {run}' in err[0], err
    kept = sorted((run / '1D').glob('1D-*.pt'))
    assert len(kept) == 1, kept
    state = torch.load(kept[0], weights_only=True)                        # the last good checkpoint loads
    assert int(state['global_step']['_GlobalSteps__global_step'][0]) >= 250
    assert not [p for p in run.rglob('*') if is_temp_file(p)], 'a temporary file was left behind'
