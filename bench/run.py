"""Run a benchmark workload on agents_nb and on every installed peer, alternating seed by seed, and print the table of
medians, min-max and the ratios agents_nb / peer (bench/README.md says how to install the peers).

    python bench/run.py w1                    # PPO CartPole-v1, rl-zoo settings: agents_nb vs SB3 (and ML-Agents' PPO)
    python bench/run.py w2 --seeds 3          # SAC Pendulum-v1, rl-zoo settings: agents_nb vs Stable-Baselines3
    python bench/run.py w3                    # PPO CartPole-v1, 64 areas: agents_nb vs SB3 (and ML-Agents) vs the ceiling
    python bench/run.py w4                    # PPO on SimpleEnvironment, ML-Agents' test and default configs: vs ML-Agents
    python bench/run.py w3t                   # w3's settings on TensorCartPole: the tensor rollout vs the ordinary loop,
                                              #   vs agents_nb and SB3 on Gymnasium's CartPole, and both ceilings
    python bench/run.py w5 [--device cuda]    # the tensor rollout with 4096 copies (vs the ordinary loop on the same env)
    python bench/run.py all
    python bench/run.py w1 --torch-compile    # agents_nb's losses through torch.compile (the compilation counts)

Every worker is its own process with one torch thread; results are appended to bench/results/<workload>-<time>.jsonl
(one JSON line per run) and the table is printed at the end (and written next to it as .md).
"""
from __future__ import annotations

import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import BENCH_DIR, finish, out_path, run_alternating, select_systems, base_parser  # noqa: E402

W = str(BENCH_DIR)


def candidates(workload: str, max_steps, compile_: bool = False, device: str = 'cpu'):
    "label -> (kind of interpreter, worker command without the interpreter and the seed)."
    extra = ['--max-steps', str(max_steps)] if max_steps else []
    mine = ['--torch-compile'] if compile_ else []
    if workload in ('w3t', 'w5'):   # the tensor rollout is `agents_nb` (the reference of the ratios)
        w, dev = ('w3' if workload == 'w3t' else 'w5'), ['--device', device]
        out = {'agents_nb': ('agents_nb', [f'{W}/agents_nb_worker.py', '--workload', w, '--env-kind', 'tensor'] + dev + extra + mine),
               'agents_nb_ordinary_loop': ('agents_nb', [f'{W}/agents_nb_worker.py', '--workload', w, '--env-kind', 'tensor_ordinary']
                                           + dev + extra + mine)}
        if workload == 'w3t':
            out['agents_nb_gym'] = ('agents_nb', [f'{W}/agents_nb_worker.py', '--workload', 'w3'] + extra + mine)
            out['sb3'] = ('sb3', [f'{W}/sb3_worker.py', '--workload', 'w3'] + extra)
        return out
    if workload == 'w2':
        return {'agents_nb': ('agents_nb', [f'{W}/agents_nb_worker.py', '--workload', workload] + extra + mine),
                'sb3': ('sb3', [f'{W}/sb3_worker.py', '--workload', workload] + extra)}
    if workload in ('w1', 'w3'):   # ML-Agents' own PPO too, on the same GymEnv and settings (a third column)
        return {'agents_nb': ('agents_nb', [f'{W}/agents_nb_worker.py', '--workload', workload] + extra + mine),
                'sb3': ('sb3', [f'{W}/sb3_worker.py', '--workload', workload] + extra),
                'mlagents': ('mlagents', [f'{W}/mlagents_worker.py', '--workload', workload] + extra)}
    return {'agents_nb': ('agents_nb', [f'{W}/agents_nb_worker.py', '--workload', workload] + extra + mine),
            'mlagents': ('mlagents', [f'{W}/mlagents_worker.py', '--workload', workload] + extra)}


def ceiling(args, areas: int, env: str = 'CartPole-v1', tensor: bool = False):
    """The raw vector environment's rate (and agents_nb's GymEnv over it) with random actions, in the same invocation;
    with `tensor`, TensorCartPole's `step_tensors` too."""
    cands = {'raw_sync': [f'{W}/raw_env_worker.py', '--mode', 'sync', '--env', env, '--areas', str(areas)],
             'agents_nb_GymEnv': [f'{W}/raw_env_worker.py', '--mode', 'gymenv', '--env', env, '--areas', str(areas)],
             'agents_nb_GymEnv_tensors': [f'{W}/raw_env_worker.py', '--mode', 'gymtensor', '--env', env, '--areas', str(areas)]}
    if tensor: cands['raw_tensor'] = [f'{W}/raw_env_worker.py', '--mode', 'tensor', '--areas', str(areas), '--device', args.device]
    systems = select_systems(args, cands, {'raw_sync': 'raw', 'agents_nb_GymEnv': 'agents_nb', 'agents_nb_GymEnv_tensors': 'agents_nb',
                                           'raw_tensor': 'agents_nb'})
    rows = run_alternating(f'ceiling_{env}_{areas}', systems, [0], args.timeout, out_path(args, f'ceiling_{areas}'))
    return {r['system']: r.get('env_steps_per_s') for r in rows if 'error' not in r}, rows


CEILING_AREAS = {'w1': 8, 'w3': 64, 'w3t': 64, 'w5': 4096}   # workloads measured against their environments' ceilings
CEILING_NAMES = {'raw_tensor': "TensorCartPole.step_tensors", 'raw_sync': 'SyncVectorEnv', 'agents_nb_GymEnv': 'agents_nb GymEnv',
                 'agents_nb_GymEnv_tensors': "agents_nb GymEnv's tensor face"}


def ceiling_line(rates, mine, areas: int) -> str:
    "The ceilings measured (random actions, no learning) and agents_nb's median rate as a share of each raw one."
    measured = [(k, rates[k]) for k in CEILING_NAMES if rates.get(k)]
    if not measured or not mine: return ''
    import statistics
    med = statistics.median(mine)
    shares = ', '.join(f'{100 * med / v:.1f}% of {CEILING_NAMES[k]}' for k, v in measured if not k.startswith('agents_nb_GymEnv'))
    return (f'\nceilings (random actions, no learning, {areas} copies): '
            + ', '.join(f'{CEILING_NAMES[k]} {v:,.0f} steps/s' for k, v in measured)
            + f'; agents_nb training end to end: {med:,.0f} steps/s = {shares}\n')


def run(workload: str, args) -> str:
    seeds = list(range(args.first_seed, args.first_seed + args.seeds))
    cands = candidates(workload, args.max_steps, args.torch_compile, args.device)
    systems = select_systems(args, {k: v[1] for k, v in cands.items()}, {k: v[0] for k, v in cands.items()})
    rows = run_alternating(workload, systems, seeds, args.timeout, out_path(args, workload))
    extra = ''
    if workload in CEILING_AREAS:
        areas, tensor = CEILING_AREAS[workload], workload in ('w3t', 'w5')
        # a tensor workload's --systems names its training systems: its ceilings are measured whatever it says
        rates, _ = ceiling(argparse.Namespace(**{**vars(args), 'systems': None}) if tensor else args, areas, tensor=tensor)
        mine = [r['env_steps_per_s'] for r in rows if r.get('system') == 'agents_nb' and 'env_steps_per_s' in r]
        extra = ceiling_line(rates, mine, areas)
    title = f'{workload} (agents_nb with --torch-compile)' if args.torch_compile else workload
    return finish(args, title, rows, extra=extra)


def main():
    p = base_parser(__doc__.split('\n\n')[0])
    p.add_argument('workload', choices=['w1', 'w2', 'w3', 'w4', 'w4_test', 'w4_default', 'w3t', 'w5', 'all'])
    p.add_argument('--device', default='cpu', help='w3t, w5: the torch device of the tensor environment and the trainer')
    p.add_argument('--max-steps', type=int, default=None, help="override every system's step budget (quick checks)")
    p.add_argument('--torch-compile', action='store_true', help="run agents_nb with torch_settings.compile (its compilation is timed)")
    args = p.parse_args()
    workloads = {'all': ['w1', 'w2', 'w3', 'w4_test', 'w4_default'], 'w4': ['w4_test', 'w4_default']}.get(args.workload, [args.workload])
    texts = [run(w, args) for w in workloads]
    report = BENCH_DIR / 'results' / f'{args.workload}-latest.md'
    report.parent.mkdir(parents=True, exist_ok=True)
    report.write_text('\n'.join(texts))
    print(f'tables written to {report}')


if __name__ == '__main__':
    main()
