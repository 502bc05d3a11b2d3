"""The training dashboard in a real browser: a notebook served by Voila opens in headless Chromium, the run is started
by clicking the dashboard's Start button, and a screenshot taken when training has finished shows a reward curve.

Needs Debian's `chromium` and `chromium-driver` (`.ci/run` installs them when it can) and the dev extra's `voila`,
`selenium` and `ipykernel`; without them the test is skipped with the reason. The screenshots are saved under
`$AGENTS_NB_ARTIFACTS` (default: a temporary folder) and their paths printed at the end of the pytest run."""
import os, re, socket, subprocess, sys, textwrap, time
from pathlib import Path
import pytest

CHROMIUM, CHROMEDRIVER = '/usr/bin/chromium', '/usr/bin/chromedriver'
C0 = (31, 119, 180)   # matplotlib's first line colour: the reward curve of the one behavior


def missing() -> str:
    "Why the browser test cannot run here ('' when it can)."
    for path in (CHROMIUM, CHROMEDRIVER):
        if not os.path.exists(path):
            return f'{path} is not installed (apt-get install chromium chromium-driver; .ci/run does it when it can)'
    for mod in ('selenium', 'voila', 'ipykernel', 'nbformat', 'PIL'):
        try: __import__(mod)
        except ImportError: return f'python package {mod!r} is missing (pip install -e ".[dev]")'
    return ''


WALK = """\
behaviors:
  1D:
    trainer_type: ppo
    max_steps: 3000
    summary_freq: 250
    hyperparameters: {batch_size: 16, buffer_size: 64, learning_rate: 5.0e-3, learning_rate_schedule: constant}
    network_settings: {hidden_units: 16, num_layers: 1}
"""


def write_notebook(folder: Path) -> Path:
    "A notebook that shows a dashboard with a run prepared (not started): the browser starts it."
    import nbformat
    (folder / 'walk.yaml').write_text(WALK)
    cells = [
        "import torch\ntorch.set_num_threads(1)\nfrom agents_nb.widgets import TrainingDashboard",
        textwrap.dedent(f"""\
            dash = TrainingDashboard(every=0.5, keys=['Environment/Cumulative Reward', 'Environment/Episode Length'])
            dash.train({str(folder / 'walk.yaml')!r}, '--env', 'builtin:SimpleEnvironment', '--run-id', 'browser',
                       '--results-dir', {str(folder / 'results')!r}, '--seed', '1', '--torch-device', 'cpu',
                       tensorboard=False, start=False)
            dash"""),
    ]
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    nb.metadata['kernelspec'] = {'name': 'python3', 'display_name': 'Python 3', 'language': 'python'}
    path = folder / 'dashboard.ipynb'
    nbformat.write(nb, path)
    return path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def curve_pixels(png: Path, rect: dict) -> int:
    "Pixels of the reward curve's colour inside the dashboard's image (`rect`: its place on the screenshot)."
    import numpy as np
    from PIL import Image
    box = tuple(int(round(v)) for v in (rect['x'], rect['y'], rect['x'] + rect['width'], rect['y'] + rect['height']))
    pixels = np.asarray(Image.open(png).convert('RGB').crop(box), dtype=np.int32)
    return int((np.abs(pixels - np.array(C0)).sum(-1) < 60).sum())


def test_dashboard_in_chromium(tmp_path, artifacts):
    reason = missing()
    if reason: pytest.skip(f'browser test skipped: {reason}')
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait
    folder, saved = artifacts
    notebook = write_notebook(tmp_path)
    port = free_port()
    env = dict(os.environ, OMP_NUM_THREADS='1', PYTHONUNBUFFERED='1')
    log = open(tmp_path / 'voila.log', 'w')
    voila = subprocess.Popen([sys.executable, '-m', 'voila', '--no-browser', f'--port={port}', '--Voila.ip=127.0.0.1',
                              str(notebook)], cwd=tmp_path, stdout=log, stderr=subprocess.STDOUT, env=env)
    opts = webdriver.ChromeOptions()
    for a in ('--headless=new', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking',
              '--disable-component-update', '--disable-sync', '--no-first-run', '--window-size=1300,1100',
              f'--user-data-dir={tmp_path / "chromium-profile"}'):
        opts.add_argument(a)
    opts.binary_location = CHROMIUM
    driver = None
    try:
        for _ in range(300):                                  # the server is up
            try:
                socket.create_connection(('127.0.0.1', port), timeout=1).close(); break
            except OSError: time.sleep(0.2)
            assert voila.poll() is None, (tmp_path / 'voila.log').read_text()
        driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=opts)
        driver.get(f'http://127.0.0.1:{port}/')

        def button(text):
            for b in driver.find_elements(By.CSS_SELECTOR, 'button'):
                if b.text.strip() == text: return b
        WebDriverWait(driver, 150).until(lambda d: button('Start') is not None and button('Start').is_enabled())
        status = lambda: ' '.join(e.text for e in driver.find_elements(By.CSS_SELECTOR, '.widget-html'))
        assert 'ready' in status(), status()
        before = folder / 'dashboard_before.png'
        driver.save_screenshot(str(before)); saved.append(before)

        button('Start').click()                                # the kernel starts the run in its background thread
        WebDriverWait(driver, 240, poll_frequency=1).until(lambda d: 'finished' in status() or 'failed' in status())
        assert 'finished' in status(), status()
        time.sleep(2)                                          # the last image reaches the page
        labels = ' '.join(e.text for e in driver.find_elements(By.CSS_SELECTOR, '.widget-label'))
        done = re.search(r'(\d+) / 3000 steps', labels)
        assert done and int(done.group(1)) >= 3000, labels                 # the progress bar is full
        img = driver.find_element(By.CSS_SELECTOR, '.widget-image')
        driver.execute_script('arguments[0].scrollIntoView()', img)
        rect = driver.execute_script('const r = arguments[0].getBoundingClientRect();'
                                     'return {x: r.x, y: r.y, width: r.width, height: r.height}', img)
        after = folder / 'dashboard_after.png'
        driver.save_screenshot(str(after)); saved.append(after)
        assert rect['width'] > 200 and rect['height'] > 100, rect
        drawn = curve_pixels(after, rect)
        # the reward and episode-length curves of 12 summaries: hundreds of pixels of the line colour
        assert drawn > 150, f'no curve on the screenshot {after} ({drawn} pixels of the line colour in {rect})'
    finally:
        if driver is not None: driver.quit()
        voila.terminate()
        try: voila.wait(20)
        except subprocess.TimeoutExpired: voila.kill()
        log.close()
