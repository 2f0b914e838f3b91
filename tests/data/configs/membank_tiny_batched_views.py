# The tiny run of membank_tiny_deterministic.py with random views made by
# BatchedViewsDataPreprocessor (configs/_base_/datasets/
# cifar10_batched_views.py: NPID's augmentation, batched) and RNGStateHook,
# for testing that a resumed run draws the views an uninterrupted one does.
_base_ = [
    './membank_tiny_deterministic.py',
    '../../../configs/_base_/datasets/cifar10_batched_views.py',
]

model = dict(data_preprocessor=dict(_base_.batched_views, num_views=2))
train_dataloader = dict(dataset=dict(pipeline=_base_.batched_views_pipeline))
custom_hooks = [dict(type='RNGStateHook'), *_base_.custom_hooks]
