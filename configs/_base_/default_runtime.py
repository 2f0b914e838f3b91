# mmbank's runtime: mmselfsup's defaults plus the mmbank plug-in.
default_scope = 'mmselfsup'
custom_imports = dict(imports=['mmbank'], allow_failed_imports=False)

default_hooks = dict(
    runtime_info=dict(type='RuntimeInfoHook'),
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=50),
    param_scheduler=dict(type='ParamSchedulerHook'),
    checkpoint=dict(type='CheckpointHook', interval=10, max_keep_ckpts=3),
    sampler_seed=dict(type='DistSamplerSeedHook'),
)

# sizes the memory bank from the training set and checks the pipeline
# before training; stops the run if the loss becomes NaN or infinite; keeps
# the random generators' states in the checkpoints and seeds data-loader
# workers per epoch, so a resumed run draws what an uninterrupted one does
custom_hooks = [
    dict(type='MemoryBankSetupHook'),
    dict(type='CheckInvalidLossHook', interval=1),
    dict(type='RNGStateHook'),
]
# hard negative merging (HardNegativeMergeHook): a config that merges sets
# the schedule and adds the hook (hooks run in the order of their priority,
# not of the list: the merge hook (NORMAL) runs after the epoch's training
# and before RNGStateHook (LOW) and CheckpointHook (VERY_LOW)), e.g.
#   merge_hook = dict(_base_.merge_hook, start_epoch=40, interval=5)
#   custom_hooks = [*_base_.custom_hooks, merge_hook]
merge_hook = dict(
    type='HardNegativeMergeHook', final_ratio=0.1, max_group_size=4,
    min_similarity=0.7)

env_cfg = dict(
    cudnn_benchmark=False,
    mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0),
    dist_cfg=dict(backend='nccl'),
)

log_processor = dict(
    window_size=10,
    custom_cfg=[dict(data_src='', method='mean', window_size='global')])

vis_backends = [dict(type='LocalVisBackend')]
visualizer = dict(
    type='SelfSupVisualizer', vis_backends=vis_backends, name='visualizer')

log_level = 'INFO'
load_from = None
resume = False
randomness = dict(seed=0, deterministic=False)
