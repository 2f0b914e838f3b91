# mmselfsup's own NPID config (dataset, schedule, runtime) with mmbank's
# components mixed in: K = 2 views of NPID's augmentation (the loader crops
# each image, BatchedViewsDataPreprocessor makes the rest of the views
# batched on the GPU), MemoryBankHead with its InstanceMemoryBank (sized
# from the dataset) and the consistency loss, and hard negative merging.
# For NPID's views made wholly per image in the loader, give the loader
# npid_views.py's view_pipeline and keep NPID's data_preprocessor.
_base_ = [
    'mmselfsup::selfsup/npid/npid_resnet50_8xb32-steplr-200e_in1k.py',
    '../_base_/datasets/npid_batched_views.py',  # NPID's views, split
]

custom_imports = dict(imports=['mmbank'], allow_failed_imports=False)

# NPID's network (normalisation, ResNet-50, 128-d neck) in mmbank's
# multi-view algorithm, with MemoryBankHead for NPID's head and memory
model = dict(
    _delete_=True,
    type='MultiViewNPID',
    data_preprocessor=dict(
        _base_.model.data_preprocessor, **_base_.batched_views,
        num_views=2),
    backbone=_base_.model.backbone,
    neck=_base_.model.neck,
    head=dict(
        type='MemoryBankHead',
        memory_bank=dict(type='InstanceMemoryBank', feat_dim=128),
        temperature=0.07,
        num_negatives=65536,
        loss_consistency=dict(
            type='ConsistencyLoss', temperature=0.07, loss_weight=1.0)))

# K = 2 crops of each image in the loader
train_dataloader = dict(
    # a base named mmselfsup::... stamps _scope_ on every dict with a type,
    # which default_collate does not accept: restate it
    collate_fn=dict(_delete_=True, type='default_collate'),
    dataset=dict(pipeline=[
        dict(type='LoadImageFromFile'),
        dict(type='MultiViewWithIndex', num_views=2,
             transforms=[_base_.batched_views_crop]),
        dict(type='PackSelfSupInputs', algorithm_keys=['sample_idx']),
    ]))

model_wrapper_cfg = dict(
    type='MMDistributedDataParallel', broadcast_buffers=False)

custom_hooks = [
    dict(type='MemoryBankSetupHook'),
    dict(type='CheckInvalidLossHook', interval=1),
    dict(type='HardNegativeMergeHook', start_epoch=80, interval=10,
         final_ratio=0.1, max_group_size=4, min_similarity=0.7),
    dict(type='RNGStateHook'),
]
