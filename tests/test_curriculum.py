"""A curriculum on a built-in environment (`config/ppo/SimpleEnvironment_curriculum.yaml`): the run moves through
its three lessons, visible in stats.csv as `Environment/Lesson Number/step_size`, the environment really walks with
each lesson's step size, and a resumed run continues from the saved lesson."""
import json
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip('torch')
from agents_nb.learn import train
from agents_nb.stats import read_stats_csv

torch.set_num_threads(1)
CONFIG = Path(__file__).resolve().parents[1] / 'config' / 'ppo' / 'SimpleEnvironment_curriculum.yaml'
LESSON = 'Environment/Lesson Number/step_size'


def _series(run: Path, key: str):
    return [(r['step'], r['value']) for r in read_stats_csv(run / '1D' / 'stats.csv') if r['key'] == key]


def test_a_curriculum_moves_through_its_lessons_and_resumes_from_the_saved_one(tmp_path):
    lines = []
    common = ('--results-dir', str(tmp_path), '--seed', '1', '--torch-device', 'cpu')
    train(str(CONFIG), '--run-id', 'cur', *common, print_fn=lines.append, progress=False)
    run = tmp_path / 'cur'
    lessons = _series(run, LESSON)
    values = [v for _, v in lessons]
    assert values == sorted(values) and {0.0, 1.0, 2.0} <= set(values), lessons   # 0 -> 1 -> 2, never back
    assert [l.split(':')[1].split("'")[0].strip() for l in lines if l.startswith('Environment parameter step_size')] == \
        ['lesson 0', 'lesson 1', 'lesson 2'], lines
    # the walk really changed: about 2-3 steps to a wall with steps of 0.5 (once trained), at least 5 with 0.2
    lengths = dict(_series(run, 'Environment/Episode Length'))
    first = [lengths[s] for s, v in lessons if v == 0.0 and s in lengths]
    last = [lengths[s] for s, v in lessons if v == 2.0 and s in lengths]
    assert first and last and min(first) < 4.0 <= 5.0 <= min(last), (first, last)   # a trained walker, in each lesson
    status = json.loads((run / 'run_logs' / 'training_status.json').read_text())
    assert status['step_size']['lesson_num'] == 2
    # resume with a higher max_steps: it starts in lesson 2, not 0
    (tmp_path / 'more.yaml').write_text(CONFIG.read_text().replace('max_steps: 3000', 'max_steps: 3500'))
    lines.clear()
    train(str(tmp_path / 'more.yaml'), '--run-id', 'cur', '--resume', *common, print_fn=lines.append, progress=False)
    assert [l for l in lines if l.startswith('Environment parameter')][0].startswith("Environment parameter step_size: lesson 2 'small steps'")
    resumed = [v for s, v in _series(run, LESSON) if s > lessons[-1][0]]
    assert resumed and set(resumed) == {2.0}, resumed
