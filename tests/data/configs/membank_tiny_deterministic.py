# A tiny, deterministic run of the mmbank method for tests: identity views
# (no random augmentation), 8 samples x 2 views per batch, full softmax,
# consistency and merging after every epoch.
_base_ = '../../../configs/membank/membank_resnet18-std_1xb64x2-coslr-10e_cifar10-5k.py'  # noqa

# the loader's identity views, normalised only
model = dict(
    data_preprocessor=dict(
        _delete_=True,
        type='SelfSupDataPreprocessor',
        mean=(125.307, 122.961, 113.8575),
        std=(51.5865, 50.847, 51.255),
        bgr_to_rgb=False))
train_dataloader = dict(
    batch_size=8,
    dataset=dict(
        indices=None,
        pipeline=[
            dict(type='MultiViewWithIndex', num_views=2, transforms=[]),
            dict(type='PackSelfSupInputs', algorithm_keys=['sample_idx']),
        ]))
train_cfg = dict(max_epochs=2)
param_scheduler = []
randomness = dict(seed=0, deterministic=True)
default_hooks = dict(
    logger=dict(type='LoggerHook', interval=1),
    checkpoint=dict(type='CheckpointHook', interval=1, max_keep_ckpts=-1))
# merge after every epoch, half the bank, any pair
merge_hook = dict(
    _base_.merge_hook, start_epoch=1, interval=1, final_ratio=0.5,
    max_group_size=3, min_similarity=-1.0)
# the bank's set-up, the NaN guard and merging (no ChannelsLastHook, no
# RNGStateHook)
custom_hooks = [
    dict(type='MemoryBankSetupHook'),
    dict(type='CheckInvalidLossHook', interval=1),
    merge_hook,
]
# no kNN monitor in these tests
val_dataloader = None
val_evaluator = None
val_cfg = None
