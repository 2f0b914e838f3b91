# mmselfsup's own NPID config (model, dataset, schedule, runtime) with its
# augmentation split as for images of varying size
# (../_base_/datasets/npid_batched_views.py): the loader decodes and crops
# each image (RandomResizedCrop), BatchedViewsDataPreprocessor flips,
# grayscales and colour-jitters the batch on the GPU, from the distributions
# of the per-image pipeline. RNGStateHook keeps the views' generator in the
# checkpoints, so resuming is exact.
_base_ = [
    'mmselfsup::selfsup/npid/npid_resnet50_8xb32-steplr-200e_in1k.py',
    '../_base_/datasets/npid_batched_views.py',
]

custom_imports = dict(imports=['mmbank'], allow_failed_imports=False)

model = dict(data_preprocessor=dict(_base_.batched_views, num_views=1))
train_dataloader = dict(
    # a base named mmselfsup::... stamps _scope_ on every dict with a type,
    # which default_collate does not accept: restate it
    collate_fn=dict(_delete_=True, type='default_collate'),
    dataset=dict(pipeline=[
        dict(type='LoadImageFromFile'),
        dict(type='MultiViewWithIndex', num_views=1,
             transforms=[_base_.batched_views_crop]),
        dict(type='PackSelfSupInputs', algorithm_keys=['sample_idx']),
    ]))
custom_hooks = [dict(type='RNGStateHook')]
