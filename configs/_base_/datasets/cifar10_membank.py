# CIFAR-10 with K augmented views per sample (Ye et al. / NPID augmentation),
# made for the whole batch on the model's device: the loader only packs each
# 32 x 32 RGB array and its bank index, and BatchedViewsDataPreprocessor
# (`batched_views`) draws every view's random resized crop (scale 0.2-1),
# grayscale (p = 0.2), colour jitter 0.4 (a random order per view) and flip
# (p = 0.5) from the distributions of `view_pipeline`, NPID's per-image
# pipeline, and applies them batched (tests/test_configs/
# test_batched_views_configs.py checks they agree). A config that takes this
# base sets the model's preprocessor from it, keeping its mean and std:
#   model = dict(data_preprocessor=_base_.batched_views)
# and changes K with model = dict(data_preprocessor=dict(num_views=K)).
# `per_image_pipeline` makes the same views per image in the loader instead
# (MultiViewWithIndex; about 1.7x slower steps here), with a plain
# SelfSupDataPreprocessor. data/cifar10 is written offline by
# tools/prepare_cifar.py; with internet, OfflineCIFAR10(download=True)
# fetches the official files like mmcls does.
_base_ = ['./npid_views.py', './multiview_loader.py']

dataset_type = 'OfflineCIFAR10'
data_root = 'data/cifar10/'
num_views = 2

# NPID's view of 32 x 32 RGB arrays: the crop size and the channel order of
# the grayscale weights differ from npid_views.py
view_pipeline = [
    dict(_base_.view_pipeline[0], size=32),
    dict(_base_.view_pipeline[1], channel_weights=(0.299, 0.587, 0.114)),
    *_base_.view_pipeline[2:],  # colour jitter, flip
]
batched_views = dict(
    type='BatchedViewsDataPreprocessor',
    num_views=num_views,
    crop_size=32,
    crop_scale=(0.2, 1.),
    gray_prob=0.2,
    gray_weights=(0.299, 0.587, 0.114),  # RGB arrays
    brightness=0.4,
    contrast=0.4,
    saturation=0.4,
    hue=0.4,
    flip_prob=0.5)
# PackSelfSupInputs(algorithm_keys=['sample_idx'])'s output, cheaper
train_pipeline = [dict(type='PackImageAndIndex')]
# the same views made per image in the loader, packed the mmselfsup way
per_image_pipeline = [
    dict(
        type='MultiViewWithIndex',
        num_views=num_views,
        transforms=view_pipeline),
    dict(type='PackSelfSupInputs', algorithm_keys=['sample_idx']),
]

train_dataloader = dict(
    batch_size=128,
    num_workers=4,
    dataset=dict(
        type=dataset_type,
        data_prefix=data_root,
        test_mode=False,
        download=True,
        pipeline=train_pipeline))
