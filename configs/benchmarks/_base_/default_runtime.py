# Runtime of the mmcls-scoped benchmarks (linear evaluation: mmcls's
# ImageClassifier, datasets and metrics), with the mmbank plug-in imported
# so its datasets (type='mmselfsup.OfflineCIFAR10', ...) are registered and
# its upstream fixes (weights-only checkpoint loading) apply.
default_scope = 'mmcls'
custom_imports = dict(imports=['mmbank'], allow_failed_imports=False)

default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=50),
    param_scheduler=dict(type='ParamSchedulerHook'),
    checkpoint=dict(type='CheckpointHook', interval=10, max_keep_ckpts=3),
    sampler_seed=dict(type='DistSamplerSeedHook'),
    visualization=dict(type='VisualizationHook', enable=False),
)

env_cfg = dict(
    cudnn_benchmark=False,
    mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0),
    dist_cfg=dict(backend='nccl'),
)

vis_backends = [dict(type='LocalVisBackend')]
visualizer = dict(type='ClsVisualizer', vis_backends=vis_backends)

log_level = 'INFO'
load_from = None
resume = False
randomness = dict(seed=0, deterministic=False)
