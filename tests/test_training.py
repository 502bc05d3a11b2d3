"""Whole runs: a run killed with SIGKILL resumes from its last checkpoint and keeps learning; the ONNX file a run
writes gives the policy's deterministic actions in onnxruntime."""
import json, os, shutil, signal, subprocess, sys, time
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip('torch')
from agents_nb.learn import train
from agents_nb.stats import read_stats_csv
from agents_nb.envs.simple import SimpleEnvironment

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
