# The tiny run of membank_tiny_deterministic.py with random views made by
# BatchedViewsDataPreprocessor (configs/_base_/datasets/cifar10_membank.py's
# batched_views: NPID's augmentation, batched) and RNGStateHook, for testing
# that a resumed run draws the views an uninterrupted one does.
_base_ = './membank_tiny_deterministic.py'

model = dict(
    data_preprocessor=dict(
        _base_.batched_views, _delete_=True, num_views=2,
        mean=(125.307, 122.961, 113.8575), std=(51.5865, 50.847, 51.255),
        bgr_to_rgb=False))
train_dataloader = dict(dataset=dict(pipeline=_base_.train_pipeline))
custom_hooks = [dict(type='RNGStateHook'), *_base_.custom_hooks]
