"""The configuration editor on ML-Agents' own example files: each loads, saves and loads back equal, and every plain
field of a PPO, SAC, POCA, curriculum and imitation file can be edited (the change reaches `.options`, or it is refused
with the settings' message next to a field and `.options` unchanged) and put back."""
import warnings
import pytest
import ipywidgets as widgets
from agents_nb.settings import RunOptions, TrainerConfigWarning
from agents_nb.widgets import ConfigEditor, _get, _parse_text, _format_value
from conftest import mlagents_configs_dir

CONFIGS = mlagents_configs_dir()
FILES = sorted(CONFIGS.rglob('*.yaml')) if CONFIGS.is_dir() else []
needs_configs = pytest.mark.skipif(not FILES, reason=f'ML-Agents example configs not found at {CONFIGS} '
                                   '(set AGENTS_NB_MLAGENTS_CONFIGS to their folder)')
EDITED = ('ppo/3DBall.yaml', 'sac/Walker.yaml', 'poca/SoccerTwos.yaml', 'ppo/WallJump_curriculum.yaml',
          'imitation/Pyramids.yaml', 'ppo/3DBall_randomize.yaml')


def load(path):
    with warnings.catch_warnings():
        warnings.simplefilter('ignore', TrainerConfigWarning)
        return ConfigEditor.from_yaml(path)


@needs_configs
@pytest.mark.parametrize('path', FILES, ids=lambda p: f'{p.parent.name}/{p.name}')
def test_save_load_round_trip(path, example_plugin, tmp_path):
    ed = load(path)
    assert ed.valid, ed.errors
    with warnings.catch_warnings():
        warnings.simplefilter('ignore', TrainerConfigWarning)
        original = RunOptions.from_yaml(path)
        assert ed.options == original
        out = ed.save(tmp_path / 'saved.yaml')
        assert RunOptions.from_yaml(out) == original
    assert load(out).options == ed.options
    # one tab per behavior, then the optional blocks and the run settings
    assert ed.tabs.titles[:len(original.behaviors)] == tuple(original.behaviors)


def another(w, kind):
    "Another value for an input, of its type (what a user could type or pick instead)."
    if isinstance(w, widgets.Checkbox): return not w.value
    if isinstance(w, widgets.Dropdown): return w.options[(w.options.index(w.value) + 1) % len(w.options)]
    v = _parse_text(w.value, kind[0], kind[1])
    if v is None: return '1' if kind[0] == 'yaml' else 'x'
    if isinstance(v, bool): return 'false' if v else 'true'
    if isinstance(v, int): return str(v + 1)
    if isinstance(v, float): return repr(v / 2 if v else 0.5)
    if isinstance(v, list): return '[]' if v else '[1]'
    return str(v) + 'x'


@needs_configs
@pytest.mark.parametrize('name', EDITED)
def test_every_field_edits(name):
    ed = load(CONFIGS / name)
    start_options, reached, refused = ed.options, 0, 0
    for path in [p for p in ed.fields() if ed._kinds[p][0] not in ('switch', 'toggle')]:
        w, kind, before = ed.widget(*path), ed._kinds[path], ed.data
        old, new = w.value, another(w, ed._kinds[path])
        w.value = new
        if ed.valid:
            expected = new if kind[0] in ('bool', 'choice') else _parse_text(new, *kind)
            got = _get(ed.options.as_dict(), path)
            assert got == expected or (isinstance(got, float) and float(expected) == got), (path, got, expected)
            reached += 1
        else:
            # refused, with the settings' message next to the field its path names (a rule between two fields, such as
            # a sampler's min_value <= max_value, names one of them)
            assert ed.errors, path
            for anchor, msg in ed.errors.items():
                assert msg and (ed.message(*anchor) == msg if anchor else msg in ed.status.value), (path, anchor, msg)
            assert ed.options == start_options                   # .options keeps the last valid configuration
            refused += 1
        w.value = old
        for p in ed.fields():      # values the settings derived from the change (checkpoint_interval, team_change)
            if _get(ed.data, p, None) != _get(before, p, None): ed.widget(*p).value = _format_value(_get(before, p))
        assert ed.valid and ed.data == before, (path, ed.errors)
    assert reached >= 50, (reached, refused)
    assert ed.options == start_options
