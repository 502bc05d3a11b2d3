"""Shared pieces of the benchmark harness: what a worker records (episode returns with their environment step, the
first step that reaches a threshold, peak memory), how it reports (one JSON line), and how the driver runs workers as
subprocesses, alternating systems seed by seed, and prints the table of medians, min-max and ratios.

Only the standard library and numpy: every worker imports this file, from whichever virtual environment runs it
(the project's, the peers', ML-Agents')."""
from __future__ import annotations

import json
import os
import platform
import resource
import shlex
import statistics
import subprocess
import sys
import time
from collections import deque
from pathlib import Path
from typing import Dict, List, Optional, Sequence

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parent
RESULTS_DIR = BENCH_DIR / 'results'

# Interpreters per system; flags or environment variables override them (--python-agents-nb, AGENTS_NB_BENCH_PYTHON, ...).
DEFAULT_PYTHONS = {
    'agents_nb': os.environ.get('AGENTS_NB_BENCH_PYTHON', str(REPO / '.venv' / 'bin' / 'python')),
    'sb3': os.environ.get('SB3_BENCH_PYTHON', '/work/.peers/bin/python'),
    'mlagents': os.environ.get('MLAGENTS_BENCH_PYTHON', '/work/.mlagents/bin/python'),
    'raw': os.environ.get('AGENTS_NB_BENCH_PYTHON', str(REPO / '.venv' / 'bin' / 'python')),
}
# The module each system needs, to skip it with a reason when its interpreter lacks it.
REQUIRED_MODULE = {'agents_nb': 'agents_nb', 'sb3': 'stable_baselines3', 'mlagents': 'mlagents.trainers', 'raw': 'gymnasium'}

ONE_THREAD_ENV = {'OMP_NUM_THREADS': '1', 'MKL_NUM_THREADS': '1', 'OPENBLAS_NUM_THREADS': '1'}


# ----------------------------------------------------------------------------------------------------------------------
# worker side
def one_thread() -> None:
    "One torch thread (and one intra-op thread for every BLAS): stable, comparable timings on a shared machine."
    for k, v in ONE_THREAD_ENV.items(): os.environ.setdefault(k, v)
    try:
        import torch
        torch.set_num_threads(1)
    except ImportError:
        pass


class EpisodeLog:
    """Episode returns with the environment step (total transitions, all copies together) at which each ended, and
    the first step at which the mean of the last `window` returns reaches `threshold` (the same rule for every
    system)."""

    def __init__(self, window: int, threshold: float):
        self.window, self.threshold = window, threshold
        self.recent = deque(maxlen=window)
        self.returns: List[float] = []
        self.steps: List[int] = []
        self.t0 = time.perf_counter()
        self.solved_step: Optional[int] = None
        self.solved_time: Optional[float] = None

    def start(self) -> None: self.t0 = time.perf_counter()

    def add(self, ret: float, step: int) -> None:
        ret = float(ret)
        self.returns.append(ret); self.steps.append(int(step)); self.recent.append(ret)
        if self.solved_step is None and len(self.recent) == self.window and sum(self.recent) / self.window >= self.threshold:
            self.solved_step, self.solved_time = int(step), time.perf_counter() - self.t0

    def result(self) -> Dict:
        last = self.returns[-self.window:]
        return {'solved_step': self.solved_step,
                'solved_time_s': None if self.solved_time is None else round(self.solved_time, 3),
                'episodes': len(self.returns),
                'final_mean_return': round(sum(last) / len(last), 3) if last else None,
                'window': self.window, 'threshold': self.threshold}


def best_of(fn, repeats: int, rounds: int = 3, warmup: int = 50) -> float:
    "The fastest of `rounds` loops of `repeats` calls of `fn`, in seconds per call, after `min(warmup, repeats)` calls."
    for _ in range(min(warmup, repeats)): fn()
    best = float('inf')
    for _ in range(rounds):
        t = time.perf_counter()
        for _ in range(repeats): fn()
        best = min(best, (time.perf_counter() - t) / repeats)
    return best


def peak_rss_mb() -> float:
    "This process's peak resident memory (MB), imports included."
    kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return round(kb / 1024 if sys.platform != 'darwin' else kb / 2 ** 20, 1)


def machine_facts() -> Dict:
    facts = {'python': platform.python_version(), 'platform': platform.platform(), 'nproc': os.cpu_count(),
             'loadavg': [round(x, 2) for x in os.getloadavg()]}
    try:
        for line in subprocess.run(['lscpu'], capture_output=True, text=True).stdout.splitlines():
            if line.startswith('Model name:'): facts['cpu'] = line.split(':', 1)[1].strip()
    except OSError:
        pass
    try:
        import torch
        facts['torch'], facts['torch_threads'] = torch.__version__, torch.get_num_threads()
    except ImportError:
        pass
    return facts


def emit(result: Dict) -> None:
    "The worker's result: one JSON line, always the last line of its stdout."
    result.setdefault('peak_rss_mb', peak_rss_mb())
    result.setdefault('machine', machine_facts())
    sys.stdout.flush()
    print(json.dumps(result, default=float), flush=True)


# ----------------------------------------------------------------------------------------------------------------------
# driver side
def check_python(system: str, python: str) -> Optional[str]:
    "None when `python` can run `system`'s worker, else the reason it cannot."
    if not Path(python).exists(): return f'{python} does not exist'
    mod = REQUIRED_MODULE[system]
    r = subprocess.run([python, '-c', f'import {mod}'], capture_output=True, text=True)
    if r.returncode: return f'{python} cannot import {mod}: {r.stderr.strip().splitlines()[-1] if r.stderr.strip() else r.returncode}'
    return None


def run_worker(cmd: List[str], timeout: float, log_path: Optional[Path] = None) -> Dict:
    "Run one worker with one thread; its JSON result plus the parent's view (wall time, the child's peak RSS)."
    env = {**os.environ, **ONE_THREAD_ENV, 'PYTHONHASHSEED': '0'}
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=str(REPO))
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill(); out, err = proc.communicate()
        return {'error': f'timed out after {timeout:.0f} s', 'cmd': ' '.join(map(shlex.quote, cmd))}
    wall = time.perf_counter() - t0
    if log_path is not None:
        log_path.parent.mkdir(parents=True, exist_ok=True)
        log_path.write_text(f'$ {" ".join(map(shlex.quote, cmd))}\n--- stdout\n{out}\n--- stderr\n{err}\n')
    lines = [l for l in out.splitlines() if l.startswith('{')]
    if proc.returncode or not lines:
        tail = (err or out).strip().splitlines()[-5:]
        return {'error': f'exit {proc.returncode}: ' + ' | '.join(tail), 'cmd': ' '.join(map(shlex.quote, cmd))}
    res = json.loads(lines[-1])
    res['process_wall_s'] = round(wall, 3)
    return res


def run_alternating(workload: str, systems: Dict[str, List[str]], seeds: Sequence[int], timeout: float = 1800,
                    out_path: Optional[Path] = None, verbose: bool = True) -> List[Dict]:
    """`systems` maps a system's name to its worker command without the seed; runs (system, seed) pairs in the order
    seed 0 of every system, seed 1 of every system, ... so that background load falls on all of them alike."""
    rows = []
    for seed in seeds:
        for name, cmd in systems.items():
            if verbose: print(f'[{time.strftime("%H:%M:%S")}] {workload}: {name} seed {seed} ...', end=' ', flush=True)
            log = RESULTS_DIR / 'logs' / f'{workload}_{name}_seed{seed}.log'
            res = run_worker(cmd + ['--seed', str(seed)], timeout, log)
            res.update(workload=workload, system=name, seed=seed)
            rows.append(res)
            if verbose:
                if 'error' in res: print('ERROR', res['error'])
                else: print(', '.join(f'{k}={res.get(k)}' for k in ('env_steps', 'wall_s', 'env_steps_per_s', 'solved_step',
                                                                      'final_mean_return', 'peak_rss_mb') if k in res))
            if out_path is not None:
                out_path.parent.mkdir(parents=True, exist_ok=True)
                with open(out_path, 'a') as f: f.write(json.dumps(res, default=float) + '\n')
    return rows


def _fmt(x) -> str:
    if x is None: return '-'
    if isinstance(x, float):
        if abs(x) >= 1000: return f'{x:,.0f}'
        if abs(x) >= 10: return f'{x:.1f}'
        return f'{x:.3g}'
    return str(x)


def summarize(values: Sequence) -> Dict:
    "Median, min, max of the numbers in `values`, and how many were missing (a run that never solved)."
    nums = [float(v) for v in values if isinstance(v, (int, float))]
    return {'median': statistics.median(nums) if nums else None, 'min': min(nums) if nums else None,
            'max': max(nums) if nums else None, 'n': len(nums), 'missing': len(values) - len(nums)}


# metric, label, direction ('higher' is better or 'lower')
DEFAULT_METRICS = [('env_steps_per_s', 'env steps/s', 'higher'), ('wall_s', 'wall time (s)', 'lower'),
                   ('solved_step', 'steps to threshold', 'lower'), ('solved_time_s', 'time to threshold (s)', 'lower'),
                   ('final_mean_return', 'final mean return', 'higher'), ('peak_rss_mb', 'peak RSS (MB)', 'lower')]


def table(rows: List[Dict], reference: str = 'agents_nb', metrics=DEFAULT_METRICS, title: str = '') -> str:
    """Markdown table: per system and metric the median [min-max] (n, with 'k/n not reached' for thresholds), and the
    ratio of the medians `reference / system`."""
    systems = list(dict.fromkeys(r['system'] for r in rows))
    ok = {s: [r for r in rows if r['system'] == s and 'error' not in r] for s in systems}
    errors = [r for r in rows if 'error' in r]
    out = [f'### {title}' if title else '', '',
           '| metric | ' + ' | '.join(f'{s} median [min-max]' for s in systems) + ' | ' +
           ' | '.join(f'{reference} / {s}' for s in systems if s != reference) + ' |',
           '|---' * (1 + len(systems) + len([s for s in systems if s != reference])) + '|']
    for key, label, _ in metrics:
        if not any(key in r for s in systems for r in ok[s]): continue
        stats = {s: summarize([r.get(key) for r in ok[s]]) for s in systems}
        cells = []
        for s in systems:
            st = stats[s]
            if st['median'] is None: cells.append(f'- ({st["missing"]}/{st["n"] + st["missing"]} not reached)'); continue
            c = f'{_fmt(st["median"])} [{_fmt(st["min"])}-{_fmt(st["max"])}]'
            if st['missing']: c += f' ({st["missing"]}/{st["n"] + st["missing"]} not reached)'
            cells.append(c)
        ratios = []
        for s in systems:
            if s == reference: continue
            a, b = stats.get(reference, {}).get('median'), stats[s]['median']
            ratios.append(f'{a / b:.2f}x' if a is not None and b not in (None, 0) else '-')
        out.append(f'| {label} | ' + ' | '.join(cells) + ' | ' + ' | '.join(ratios) + ' |')
    seeds = sorted({r['seed'] for r in rows})
    out.append('')
    out.append(f'seeds {seeds}; runs per system: ' + ', '.join(f'{s} {len(ok[s])}' for s in systems))
    for r in errors: out.append(f'- {r["system"]} seed {r["seed"]}: {r["error"]}')
    return '\n'.join(out) + '\n'


def load_rows(path: Path) -> List[Dict]:
    with open(path) as f: return [json.loads(l) for l in f if l.strip().startswith('{')]


def base_parser(description: str):
    "The flags every workload script takes."
    import argparse
    p = argparse.ArgumentParser(description=description)
    p.add_argument('--seeds', type=int, default=3, help='number of seeds (0..N-1)')
    p.add_argument('--first-seed', type=int, default=0)
    p.add_argument('--systems', default=None, help='comma-separated subset of the systems to run')
    p.add_argument('--timeout', type=float, default=1800, help='seconds per worker run')
    p.add_argument('--out', default=None, help='JSONL file for the results (default bench/results/<workload>-<time>.jsonl)')
    for s in DEFAULT_PYTHONS:
        p.add_argument(f'--python-{s.replace("_", "-")}', dest=f'python_{s}', default=DEFAULT_PYTHONS[s],
                       help=f'interpreter for {s} (default {DEFAULT_PYTHONS[s]})')
    return p


def select_systems(args, candidates: Dict[str, List[str]], kinds: Dict[str, str]) -> Dict[str, List[str]]:
    """Keep the systems the user asked for whose interpreter can run them; print why the others are skipped.
    `candidates` maps a system's label to its worker command (without the interpreter); `kinds` maps it to its kind
    (`agents_nb`, `sb3`, `mlagents`, `raw`), which chooses the interpreter."""
    wanted = None if args.systems is None else set(args.systems.split(','))
    chosen = {}
    for label, cmd in candidates.items():
        if wanted is not None and label not in wanted: continue
        python = getattr(args, f'python_{kinds[label]}')
        why = check_python(kinds[label], python)
        if why: print(f'skipping {label}: {why}'); continue
        chosen[label] = [python] + cmd
    return chosen


def finish(args, workload: str, rows: List[Dict], reference: str = 'agents_nb', metrics=DEFAULT_METRICS, extra: str = '') -> str:
    text = table(rows, reference, metrics, title=workload) + extra
    print(text)
    return text


def out_path(args, workload: str) -> Path:
    return Path(args.out) if args.out else RESULTS_DIR / f'{workload}-{time.strftime("%Y%m%d-%H%M%S")}.jsonl'
