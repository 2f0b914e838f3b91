# Linear classifier on the frozen pooled features of a ResNet-50
# (mmselfsup's benchmarks/classification/_base_/models/resnet50.py with
# every stage frozen). Set the checkpoint with
# --cfg-options model.backbone.init_cfg.checkpoint=CKPT. StrictPretrained
# refuses a checkpoint whose backbone weights do not all fit (missing,
# unexpected or of another shape); add model.backbone.init_cfg.strict=False
# to load a partial match on purpose.
model = dict(
    type='ImageClassifier',
    data_preprocessor=dict(
        num_classes=1000,
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        to_rgb=True),
    backbone=dict(
        type='ResNet',
        depth=50,
        in_channels=3,
        num_stages=4,
        out_indices=(3, ),
        norm_cfg=dict(type='BN'),
        frozen_stages=4,
        norm_eval=True,
        init_cfg=dict(
            type='StrictPretrained',
            checkpoint='work_dirs/membank_r50/'
            'epoch_200.pth',
            prefix='backbone.')),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(
        type='LinearClsHead',
        num_classes=1000,
        in_channels=2048,
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0),
        topk=(1, 5)))
