"""A reward-signal plug-in (`reward_signals: {bonus: {value: 0.5}}`), found through the `agents_nb.reward_signal` entry point.

The entry point's value is the provider class; its `settings_class` structures the signal's options."""
from dataclasses import dataclass

import numpy as np

from agents_nb.settings import RewardSignalSettings
from agents_nb.rewards.providers import BaseRewardProvider


@dataclass
class BonusSettings(RewardSignalSettings):
    value: float = 1.0


class BonusRewardProvider(BaseRewardProvider):
    "A constant reward of `value` per step, ignoring episode ends; its update only counts calls."
    settings_class = BonusSettings

    def __init__(self, specs, settings):
        super().__init__(specs, settings)
        self.value, self.ignore_done, self.updates = settings.value, True, 0

    def evaluate(self, buffer):
        return np.full(buffer.num_experiences, self.value, np.float32)

    def update(self, buffer):
        self.updates += 1
        return {'Losses/Bonus Updates': float(self.updates)}
