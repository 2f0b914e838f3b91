# CIFAR-10 for linear evaluation (mmcls's cifar10_bs16 pipelines). The
# dataset is mmbank's OfflineCIFAR10, registered in mmselfsup's scope, hence
# the 'mmselfsup.' prefix in this mmcls-scoped config.
dataset_type = 'mmselfsup.OfflineCIFAR10'
data_root = 'data/cifar10/'

train_pipeline = [
    dict(type='RandomCrop', crop_size=32, padding=4),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackClsInputs'),
]
test_pipeline = [dict(type='PackClsInputs')]

train_dataloader = dict(
    batch_size=256,
    num_workers=4,
    persistent_workers=True,
    dataset=dict(
        type=dataset_type,
        data_prefix=data_root,
        test_mode=False,
        pipeline=train_pipeline),
    sampler=dict(type='DefaultSampler', shuffle=True),
    collate_fn=dict(type='default_collate'),
)
# the test split through the same loader, in order, without augmentation
val_dataloader = dict(
    train_dataloader,
    dataset=dict(
        train_dataloader['dataset'], test_mode=True, pipeline=test_pipeline),
    sampler=dict(type='DefaultSampler', shuffle=False))
val_evaluator = dict(type='Accuracy', topk=(1, ))

test_dataloader = val_dataloader
test_evaluator = val_evaluator
