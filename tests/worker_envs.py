"Environments for the worker tests: importable by name, so a spawned worker process can load them."
import os
from agents_nb.envs.simple import SimpleEnvironment


class CrashesOnce(SimpleEnvironment):
    "Kills its own process at its 4th step, once per marker file (the marker outlives the process)."
    def __init__(self, marker, **kwargs):
        super().__init__(**kwargs)
        self.marker, self.steps = marker, 0

    def step(self):
        self.steps += 1
        if self.steps == 4 and not os.path.exists(self.marker):
            open(self.marker, 'w').close()
            os._exit(3)  # a hard crash: no exception, no goodbye
        super().step()


class AlwaysFails(SimpleEnvironment):
    "Raises from every step."
    def step(self):
        raise RuntimeError('the simulator diverged')


def make_crashes_once(marker, worker_id):
    return CrashesOnce(marker, seed=worker_id) if worker_id == 0 else SimpleEnvironment(seed=worker_id)


def make_always_fails(worker_id):
    return AlwaysFails(seed=worker_id)
