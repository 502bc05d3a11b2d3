import os, pathlib, sys
import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
PLUGINS = ROOT / 'tests' / 'plugins'
BROKEN_PLUGINS = ROOT / 'tests' / 'broken_plugins'


def pytest_addoption(parser):
    parser.addoption('--runslow', action='store_true', default=False, help='also run the tests marked slow')


def pytest_collection_modifyitems(config, items):
    if config.getoption('--runslow'): return
    skip = pytest.mark.skip(reason='slow: run with pytest --runslow')
    for item in items:
        if 'slow' in item.keywords: item.add_marker(skip)


@pytest.fixture
def example_plugin(monkeypatch):
    "Put the example trainer-type plug-in (tests/plugins) on sys.path, as if it were pip-installed."
    monkeypatch.syspath_prepend(str(PLUGINS))
    yield PLUGINS
    sys.modules.pop('agents_nb_example_plugin', None)


@pytest.fixture
def broken_plugins(monkeypatch, example_plugin):
    "Add two broken trainer-type entry points: one loads a class that is not a settings class, one does not import."
    monkeypatch.syspath_prepend(str(BROKEN_PLUGINS))
    yield BROKEN_PLUGINS


def mlagents_configs_dir():
    "ML-Agents' example configs: $AGENTS_NB_MLAGENTS_CONFIGS, else ../shared/mlagents-configs next to the repo."
    env = os.environ.get('AGENTS_NB_MLAGENTS_CONFIGS')
    return pathlib.Path(env) if env else ROOT.parent / 'shared' / 'mlagents-configs'
