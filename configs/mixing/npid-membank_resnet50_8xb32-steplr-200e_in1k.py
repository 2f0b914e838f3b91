# mmselfsup's own NPID config (dataset, schedule, runtime) with mmbank's
# components mixed in: the multi-view pipeline (K = 2), MemoryBankHead with
# its InstanceMemoryBank (sized from the dataset) and the consistency loss,
# and hard negative merging.
_base_ = 'mmselfsup::selfsup/npid/npid_resnet50_8xb32-steplr-200e_in1k.py'

custom_imports = dict(imports=['mmbank'], allow_failed_imports=False)

model = dict(
    _delete_=True,
    type='MultiViewNPID',
    data_preprocessor=dict(
        mean=(123.675, 116.28, 103.53),
        std=(58.395, 57.12, 57.375),
        bgr_to_rgb=True),
    backbone=dict(
        type='ResNet',
        depth=50,
        in_channels=3,
        out_indices=[4],
        norm_cfg=dict(type='SyncBN')),
    neck=dict(
        type='LinearNeck',
        in_channels=2048,
        out_channels=128,
        with_avg_pool=True),
    head=dict(
        type='MemoryBankHead',
        memory_bank=dict(type='InstanceMemoryBank', feat_dim=128),
        temperature=0.07,
        num_negatives=65536,
        loss_consistency=dict(
            type='ConsistencyLoss', temperature=0.07, loss_weight=1.0)))

# NPID's augmentation, now applied K = 2 times per sample
view_pipeline = [
    dict(
        type='RandomResizedCrop', size=224, scale=(0.2, 1.), backend='pillow'),
    dict(
        type='RandomGrayscale',
        prob=0.2,
        keep_channels=True,
        channel_weights=(0.114, 0.587, 0.2989)),
    dict(
        type='ColorJitter',
        brightness=0.4,
        contrast=0.4,
        saturation=0.4,
        hue=0.4),
    dict(type='RandomFlip', prob=0.5),
]
train_dataloader = dict(
    # a base named mmselfsup::... stamps _scope_ on every dict with a type,
    # which default_collate does not accept: restate it
    collate_fn=dict(_delete_=True, type='default_collate'),
    dataset=dict(pipeline=[
        dict(type='LoadImageFromFile'),
        dict(type='MultiViewWithIndex', num_views=2,
             transforms=view_pipeline),
        dict(type='PackSelfSupInputs', algorithm_keys=['sample_idx']),
    ]))

model_wrapper_cfg = dict(
    type='MMDistributedDataParallel', broadcast_buffers=False)

custom_hooks = [
    dict(type='MemoryBankSetupHook'),
    dict(type='CheckInvalidLossHook', interval=1),
    dict(
        type='HardNegativeMergeHook',
        start_epoch=80,
        interval=10,
        final_ratio=0.1,
        max_group_size=4,
        min_similarity=0.7),
    dict(type='RNGStateHook'),
]
