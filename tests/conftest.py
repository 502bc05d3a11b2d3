import os, pathlib, sys, tempfile
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


ARTIFACTS = pytest.StashKey[list]()


@pytest.fixture
def artifacts(request):
    """A folder for files a test leaves for people to look at (screenshots), `$AGENTS_NB_ARTIFACTS` or a new temporary
    folder, and the list the test appends their paths to; pytest prints them at the end of the run."""
    folder = pathlib.Path(os.environ.get('AGENTS_NB_ARTIFACTS') or tempfile.mkdtemp(prefix='agents_nb_artifacts_'))
    folder.mkdir(parents=True, exist_ok=True)
    saved = []
    yield folder, saved
    request.config.stash.setdefault(ARTIFACTS, []).extend(saved)


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    saved = config.stash.get(ARTIFACTS, [])
    if saved:
        terminalreporter.section('artifacts')
        for path in saved: terminalreporter.write_line(f'artifact: {path}')
