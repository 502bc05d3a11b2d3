"""Networks with plug-in visual encoders (entry-point group `agents_nb.encoder`); the chapters 04* test the rest."""
import pytest

torch = pytest.importorskip('torch')
from agents_nb.core import UnityTrainerException
from agents_nb.settings import RunOptions, TrainerConfigError
from agents_nb.envs.base import ActionSpec, visual_spec
from agents_nb.networks import NetworkBody, SimpleActor, get_encoder_for_type, min_resolution


def _settings(encoder):
    return RunOptions.from_dict({'behaviors': {'B': {'network_settings': {'vis_encode_type': encoder, 'hidden_units': 16}}}}
                                ).behaviors['B'].network_settings


def test_a_plugin_encoder_is_chosen_by_name_and_learns(example_plugin):
    settings = _settings('tiny')
    assert settings.vis_encode_type == 'tiny' and min_resolution('tiny') == 4
    torch.manual_seed(0)
    body = NetworkBody([visual_spec((1, 6, 6))], settings)
    assert type(body.processors[0]).__name__ == 'Sequential'  # what TinyEncoder builds
    images = torch.cat([torch.zeros(20, 1, 6, 6), torch.ones(20, 1, 6, 6)])
    target = torch.cat([torch.zeros(20, 16), torch.ones(20, 16)])
    opt = torch.optim.Adam(body.parameters(), lr=1e-2)
    for _ in range(100):
        loss = ((body([images])[0] - target) ** 2).mean()
        opt.zero_grad(); loss.backward(); opt.step()
    assert loss.item() < 0.05
    actor = SimpleActor([visual_spec((3, 4, 9))], settings, ActionSpec(0, (2,)))
    assert actor.get_action_and_stats([torch.rand(5, 3, 4, 9)])[1]['env_action'].discrete.shape == (5, 1)


def test_a_plugin_encoder_has_a_minimum_resolution(example_plugin):
    with pytest.raises(UnityTrainerException, match=r'resolution \(3x8\) is too small for the provided EncoderType \(tiny\). The min dimension is 4'):
        SimpleActor([visual_spec((3, 8, 3))], _settings('tiny'), ActionSpec(1, ()))


def test_unknown_and_broken_encoders_are_named(broken_plugins):
    with pytest.raises(TrainerConfigError, match="'tinny' is not a visual encoder.*did you mean 'tiny'"):
        _settings('tinny')
    settings = _settings('brokenenc')  # the name is registered, so the settings accept it...
    with pytest.raises(UnityTrainerException, match=r"visual encoder plug-in 'brokenenc' \(agents_nb_no_such_module:Encoder\) failed to load: ModuleNotFoundError"):
        NetworkBody([visual_spec((3, 20, 20))], settings)  # ...and building the network names what failed
    with pytest.raises(UnityTrainerException, match="'tinyx' is not a visual encoder.*did you mean 'tiny'"):
        get_encoder_for_type('tinyx')


# Operators that only re-view or copy memory: torch itself may split a large convolution's batch into slices, or
# copy a small tensor to make it contiguous, so their counts can depend on the batch size without any Python loop.
_LAYOUT_OPS = {'as_strided', 'slice', 'narrow', 'view', '_unsafe_view', 'reshape', 'copy_', 'empty', 'empty_like',
               'empty_strided', 'clone', 'contiguous', 'expand', 't', 'transpose', 'select', 'unsqueeze', 'squeeze',
               'permute', 'detach', 'alias', 'resize_', 'lift_fresh', 'split', 'chunk', 'unbind'}


def _op_count(fn):
    "How many torch compute operators `fn` runs (a loop over rows would make this grow with the batch)."
    from torch.profiler import profile, ProfilerActivity
    with profile(activities=[ProfilerActivity.CPU]) as prof: fn()
    return sum(e.count for e in prof.key_averages()
               if e.key.startswith('aten::') and e.key[len('aten::'):] not in _LAYOUT_OPS)


def test_forward_passes_are_batched():
    "The same number of operators runs for 8 rows and for 40: no Python loop over agents or rows."
    from agents_nb.settings import NetworkSettings, MemorySettings
    from agents_nb.envs.base import vector_spec, entity_spec
    from agents_nb.networks import SharedActorCritic, MultiAgentNetworkBody, AgentAction
    torch.manual_seed(0)
    specs = [vector_spec(3), visual_spec((2, 20, 20)), entity_spec(6, 4)]
    settings = NetworkSettings(hidden_units=16, normalize=True, memory=MemorySettings(sequence_length=2, memory_size=8))
    actor = SharedActorCritic(specs, settings, ActionSpec(2, (3, 2)), ['extrinsic', 'gail'])
    poca = MultiAgentNetworkBody(specs[:2], NetworkSettings(hidden_units=16), ActionSpec(2, (3,)))

    def passes(b):
        obs = [torch.randn(b, 3), torch.rand(b, 2, 20, 20), torch.rand(b, 6, 4)]
        masks = torch.ones(b, 5)
        def run():
            action, _, _ = actor.get_action_and_stats(obs, masks, sequence_length=2)
            actor.get_stats(obs, action, masks, sequence_length=2)
            actor.critic_pass(obs, sequence_length=2)
            actor.update_normalization(obs)
            mates = [obs[:2] for _ in range(3)]
            poca(obs_only=mates, obs=mates[:2], actions=[AgentAction(torch.randn(b, 2), [torch.zeros(b, dtype=torch.long)])] * 2)
        return run

    assert _op_count(passes(8)) == _op_count(passes(40))
