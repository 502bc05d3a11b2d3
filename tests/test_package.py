"""The exported package: every module imports on its own and exports what it lists (nbdev_test runs notebooks, not modules)."""
import importlib, pickle, pkgutil, subprocess, sys
from concurrent.futures import ThreadPoolExecutor
import agents_nb

MODULES = sorted(m.name for m in pkgutil.walk_packages(agents_nb.__path__, 'agents_nb.') if not m.name.endswith('_modidx'))


def test_every_module_imports_in_a_fresh_interpreter():
    assert {'agents_nb.core', 'agents_nb.settings', 'agents_nb.learn', 'agents_nb.envs.base', 'agents_nb.envs.simple',
            'agents_nb.envs.gym', 'agents_nb.envs.pettingzoo', 'agents_nb.envs.registry', 'agents_nb.envs.manager',
            'agents_nb.networks', 'agents_nb.buffer', 'agents_nb.policy', 'agents_nb.demos', 'agents_nb.rewards',
            'agents_nb.optimizer'} <= set(MODULES)
    def check(name):  # packages without exports (agents_nb.envs) have no __all__
        return name, subprocess.run([sys.executable, '-c', f'import {name} as m; [getattr(m, n) for n in getattr(m, "__all__", [])]'],
                                    capture_output=True, text=True, timeout=300)
    with ThreadPoolExecutor(max_workers=4) as pool:  # one fresh interpreter per module, a few at a time
        for name, r in pool.map(check, MODULES): assert r.returncode == 0, f'{name}: {r.stderr}'


def test_public_names():
    from agents_nb.settings import RunOptions, TrainerSettings, load_config, TrainerConfigError  # the list
    from agents_nb.core import TrainerConfigError as core_error
    assert TrainerConfigError is core_error


def test_settings_and_envs_do_not_import_torch():
    code = ('import sys, agents_nb.learn, agents_nb.envs.registry, agents_nb.envs.manager, agents_nb.buffer, agents_nb.demos; '
            'print("torch" in sys.modules)')
    r = subprocess.run([sys.executable, '-c', code],
                       capture_output=True, text=True, timeout=120)
    assert r.stdout.strip() == 'False', 'reading a config, printing --help or handling buffers should not pay for importing torch'


def test_no_state_leaks_between_runs():
    from agents_nb.settings import RunOptions, TrainerSettings
    first = RunOptions.from_dict({'default_settings': {'trainer_type': 'sac', 'max_steps': 9}})
    second = RunOptions.from_argv([])
    assert first.behaviors['X'].trainer_type == 'sac'
    assert second.behaviors['X'] == TrainerSettings()
    assert RunOptions.from_dict({}).behaviors.default_settings is None
    assert pickle.loads(pickle.dumps(first)).behaviors['Y'].max_steps == 9


def test_readme_mirrors_the_home_page_and_the_sidebar_lists_every_notebook():
    "README.md is nbs/index.ipynb's text, and nbs/sidebar.yml lists every notebook once (the docs site's reading order)."
    import json, pathlib, yaml
    root = pathlib.Path(__file__).resolve().parents[1]
    cells = json.loads((root / 'nbs' / 'index.ipynb').read_text())['cells']
    text = '\n\n'.join(''.join(c['source']).strip() for c in cells if c['cell_type'] == 'markdown')
    assert text == (root / 'README.md').read_text().strip(), 'README.md and nbs/index.ipynb differ: copy one into the other'
    def listed(entries):
        for e in entries:
            if isinstance(e, str): yield e
            else: yield from listed(e.get('contents', []))
    sidebar = list(listed(yaml.safe_load((root / 'nbs' / 'sidebar.yml').read_text())['website']['sidebar']['contents']))
    notebooks = sorted(str(p.relative_to(root / 'nbs')) for p in (root / 'nbs').rglob('*.ipynb') if '.ipynb_checkpoints' not in p.parts)
    assert sorted(sidebar) == notebooks, set(sidebar) ^ set(notebooks)


def test_imports_are_in_cells_of_their_own():
    """nbdev's docs build (`nbdev_docs`, `nbdev_proc_nbs`) runs every cell that imports something, alone: a cell mixing
    imports with other code would run without the cells before it and fail, so imports get cells of their own."""
    import ast, json, pathlib, re
    root = pathlib.Path(__file__).resolve().parents[1] / 'nbs'
    mixed = []
    for path in sorted(root.rglob('*.ipynb')):
        for i, cell in enumerate(json.loads(path.read_text())['cells']):
            src = ''.join(cell['source'])
            if cell['cell_type'] != 'code' or re.search(r'^#\|\s*(export|exports|exporti|exec_doc)\b', src, re.M): continue
            try: body = ast.parse(src).body
            except SyntaxError: continue
            is_import = lambda n: isinstance(n, (ast.Import, ast.ImportFrom))
            has_import = any(is_import(n) for top in body for n in ast.walk(top))
            if has_import and any(isinstance(n, (ast.Expr, ast.Assign)) for top in body for n in ast.walk(top)):
                mixed.append(f'{path.relative_to(root)} cell {i}')
    assert not mixed, mixed
