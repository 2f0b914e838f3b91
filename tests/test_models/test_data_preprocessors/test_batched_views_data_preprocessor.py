"""BatchedViewsDataPreprocessor: what it gives the algorithms, its
generator (seeding, ranks, state), its modes and its argument checks."""
import pytest
import torch
from mmengine.registry import init_default_scope
from mmengine.structures import InstanceData

import mmbank  # noqa: F401
from mmbank.models.data_preprocessors import BatchedViewsDataPreprocessor
from mmbank.models.data_preprocessors import \
    batched_views_data_preprocessor as module
from mmbank.utils.rng_state import (derive_seed, get_rng_state,
                                    module_generators, set_rng_state)
from mmselfsup.models.utils import SelfSupDataPreprocessor
from mmselfsup.registry import MODELS
from mmselfsup.structures import SelfSupDataSample

MEAN = (125.307, 122.961, 113.8575)
STD = (51.5865, 50.847, 51.255)
# views that change nothing: the whole image, no flip, gray or jitter
IDENTITY = dict(
    crop_scale=(1., 1.),
    crop_ratio=(1., 1.),
    gray_prob=0.,
    brightness=0.,
    contrast=0.,
    saturation=0.,
    hue=0.,
    flip_prob=0.)


def batch(num=4, size=32, seed=0):
    g = torch.Generator().manual_seed(seed)
    images = torch.randint(
        0, 256, (num, 3, size, size), generator=g, dtype=torch.uint8)
    return dict(
        inputs=[images],
        data_samples=[SelfSupDataSample() for _ in range(num)])


def make(**kwargs):
    kwargs = dict(dict(crop_size=32, mean=MEAN, std=STD, seed=0), **kwargs)
    return BatchedViewsDataPreprocessor(**kwargs)


def normalised(images, mean=MEAN, std=STD):
    mean = torch.tensor(mean).view(1, 3, 1, 1)
    std = torch.tensor(std).view(1, 3, 1, 1)
    return (images.float() - mean) / std


def test_registered_and_built_by_mmselfsups_models():
    init_default_scope('mmselfsup')
    built = MODELS.build(
        dict(type='BatchedViewsDataPreprocessor', num_views=4, crop_size=32))
    assert isinstance(built, SelfSupDataPreprocessor)
    assert built.num_views == 4 and built.crop_size == (32, 32)


def test_gives_k_normalised_views_of_every_sample():
    data = batch()
    views, samples = make(num_views=3)(data, training=True)
    assert len(views) == 3 and len(samples) == 4
    for view in views:
        assert view.shape == (4, 3, 32, 32) and view.dtype == torch.float32
    # normalised 0-255 values: within the normalised range of [0, 255]
    low = normalised(torch.zeros(1, 3, 1, 1)).min()
    high = normalised(torch.full((1, 3, 1, 1), 255.)).max()
    assert all(v.min() >= low - 1e-5 and v.max() <= high + 1e-5 for v in views)
    # every view and every sample drew its own view
    assert not torch.allclose(views[0], views[1])


def test_identity_views_are_the_normalised_images():
    """With nothing random left, view k of sample b is sample b normalised
    (what SelfSupDataPreprocessor gives)."""
    data = batch()
    views, _ = make(num_views=2, **IDENTITY)(data, training=True)
    expected = normalised(data['inputs'][0])
    for view in views:
        assert torch.allclose(view, expected, atol=1e-4)
    parent = SelfSupDataPreprocessor(mean=MEAN, std=STD)
    (plain, ), _ = parent(data)
    assert torch.allclose(views[0], plain, atol=1e-4)


def test_flip_and_grayscale_on_their_own():
    data = batch()
    images = data['inputs'][0].float()
    flipped, _ = make(
        num_views=1, **dict(IDENTITY, flip_prob=1.))(
            data, training=True)
    assert torch.allclose(flipped[0], normalised(images.flip(-1)), atol=1e-4)
    gray, _ = make(
        num_views=1, **dict(IDENTITY, gray_prob=1.,
                            gray_weights=(1., 1., 2.)))(
                                data, training=True)
    # weights normalised to (1/4, 1/4, 1/2), the same on every channel
    expected = (images[:, 0] + images[:, 1] + 2 * images[:, 2]) / 4
    assert torch.allclose(
        gray[0],
        normalised(expected.unsqueeze(1).expand(-1, 3, -1, -1)),
        atol=1e-3)


def test_bgr_input_is_turned_to_rgb_and_its_gray_weights_read_as_bgr():
    data = batch()
    bgr = data['inputs'][0]
    views, _ = make(
        num_views=1, bgr_to_rgb=True, **IDENTITY)(
            data, training=True)
    assert torch.allclose(views[0], normalised(bgr[:, [2, 1, 0]]), atol=1e-4)
    prep = make(
        num_views=1, bgr_to_rgb=True, gray_weights=(0.114, 0.587, 0.299))
    assert prep.gray_weights_rgb == pytest.approx((0.299, 0.587, 0.114))


def test_outside_training_it_only_normalises():
    data = batch()
    (out, ), _ = make(num_views=4)(data, training=False)
    assert torch.allclose(out, normalised(data['inputs'][0]), atol=1e-4)


@pytest.mark.parametrize('training', [True, False])
def test_data_samples_pass_through_on_the_cpu_and_are_cast_elsewhere(
        training, monkeypatch):
    """On the CPU the loader's data samples are passed on as they are (no
    copy of each); for another device mmengine's cast runs."""
    data = batch()
    data['data_samples'][1].sample_idx = InstanceData(value=torch.tensor([7]))
    pp = make()
    _, samples = pp(data, training=training)
    assert all(a is b for a, b in zip(samples, data['data_samples']))
    assert samples[1].sample_idx.value.tolist() == [7]
    cast = []
    monkeypatch.setattr(SelfSupDataPreprocessor, 'cast_data',
                        lambda self, d: cast.append(d) or d)
    monkeypatch.setattr(pp, '_device', torch.device('meta'))
    assert pp.cast_data(data['data_samples']) is data['data_samples']
    assert cast == [data['data_samples']]


def test_loader_crops_mode_takes_k_crops_and_flips_and_colours_them():
    data = batch()
    crops = [data['inputs'][0], data['inputs'][0].flip(-2)]
    views, _ = make(
        num_views=2, geometric=False, **IDENTITY)(
            dict(data, inputs=crops), training=True)
    for view, crop in zip(views, crops):
        assert torch.allclose(view, normalised(crop), atol=1e-4)
    # other sizes than crop_size pass (the loader decides the size)
    small = [torch.zeros(4, 3, 24, 24, dtype=torch.uint8)] * 2
    views, _ = make(
        num_views=2, geometric=False)(
            dict(data, inputs=small), training=True)
    assert views[0].shape == (4, 3, 24, 24)
    with pytest.raises(ValueError, match='2 crops of each sample'):
        make(num_views=2, geometric=False)(data, training=True)
    with pytest.raises(ValueError, match='the images as they are'):
        make(num_views=2)(dict(data, inputs=crops), training=True)


def test_same_seed_same_views_and_other_seeds_others():
    data = batch()
    first, _ = make(seed=3)(data, training=True)
    again, _ = make(seed=3)(data, training=True)
    other, _ = make(seed=4)(data, training=True)
    assert all(torch.equal(a, b) for a, b in zip(first, again))
    assert not torch.allclose(first[0], other[0])
    # the next batch draws new views
    prep = make(seed=3)
    prep(data, training=True)
    later, _ = prep(data, training=True)
    assert not torch.allclose(first[0], later[0])


def test_unseeded_generator_starts_from_the_runs_seed_and_the_rank(
        monkeypatch):
    torch.manual_seed(11)  # what mmengine's set_random_seed does
    prep = make(seed=None)
    expected = torch.Generator().manual_seed(derive_seed(11, 0, 1))
    assert torch.equal(prep.generator.get_state(), expected.get_state())
    # another rank, same run seed: another stream, other views
    monkeypatch.setattr(module, 'get_dist_info', lambda: (1, 2))
    torch.manual_seed(11)
    rank1 = make(seed=None)
    assert not torch.equal(rank1.generator.get_state(), expected.get_state())
    data = batch()
    monkeypatch.setattr(module, 'get_dist_info', lambda: (0, 2))
    views0, _ = make(seed=None)(data, training=True)
    monkeypatch.setattr(module, 'get_dist_info', lambda: (1, 2))
    views1, _ = make(seed=None)(data, training=True)
    assert not torch.allclose(views0[0], views1[0])
    # explicit seeds fold the rank in as well
    assert derive_seed(5, 0) != derive_seed(5, 1) != derive_seed(5, 1, 1)


def test_views_do_not_draw_from_the_global_generators():
    torch.manual_seed(0)
    before = torch.get_rng_state()
    make(seed=None)(batch(), training=True)
    assert torch.equal(torch.get_rng_state(), before)


def test_generator_state_round_trips_with_the_rng_state_helpers():
    model = torch.nn.Module()
    model.data_preprocessor = make(seed=1)
    assert list(module_generators(model)) == ['data_preprocessor']
    data = batch()
    model.data_preprocessor(data, training=True)
    state = get_rng_state(model)
    assert set(state['generators']) == {'data_preprocessor'}
    drawn, _ = model.data_preprocessor(data, training=True)
    assert set_rng_state(state, model) == []
    again, _ = model.data_preprocessor(data, training=True)
    assert all(torch.equal(a, b) for a, b in zip(drawn, again))
    # a state without the generator (older checkpoint) names it
    del state['generators']
    assert set_rng_state(state, model) == ['data_preprocessor']


@pytest.mark.parametrize('kwargs, message', [
    (dict(num_views=0), 'num_views must be an int >= 1'),
    (dict(crop_size=0), 'crop_size must be a positive int'),
    (dict(crop_size=(32, 32, 3)), 'crop_size must be a positive int'),
    (dict(crop_scale=(0.5, 0.2)), 'crop_scale must be'),
    (dict(crop_ratio=(0., 1.)), 'crop_ratio must be'),
    (dict(crop_attempts=-1), 'crop_attempts must be'),
    (dict(gray_prob=1.5), 'gray_prob must be in'),
    (dict(flip_prob=-0.1), 'flip_prob must be in'),
    (dict(gray_weights=(1., 1.)), 'gray_weights must be 3'),
    (dict(brightness=-0.4), 'brightness must be non-negative'),
    (dict(hue=0.6), r'hue must give a \(min, max\) range within'),
    (dict(hue=(-0.6, 0.6)), 'hue must give'),
])
def test_bad_arguments_are_refused(kwargs, message):
    with pytest.raises(ValueError, match=message):
        make(**kwargs)


def test_non_color_input_is_refused():
    data = batch()
    data['inputs'] = [torch.zeros(4, 1, 32, 32, dtype=torch.uint8)]
    with pytest.raises(ValueError, match=r'\(B, 3, H, W\) color images'):
        make()(data, training=True)
