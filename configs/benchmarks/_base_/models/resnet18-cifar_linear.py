# Linear classifier on the frozen pooled features of a ResNet-18 with the
# CIFAR stem (3x3 conv, no max-pool), as trained by
# configs/membank/membank_resnet18_1xb128-steplr-200e_cifar10.py.
# frozen_stages=4 freezes the stem and all four stages and keeps their
# BatchNorm layers in eval mode; only the head trains. Set the checkpoint
# with --cfg-options model.backbone.init_cfg.checkpoint=CKPT.
# StrictPretrained refuses a checkpoint whose backbone weights do not all
# fit (missing, unexpected or of another shape); add
# model.backbone.init_cfg.strict=False to load a partial match on purpose.
model = dict(
    type='ImageClassifier',
    data_preprocessor=dict(
        num_classes=10,
        mean=[125.307, 122.961, 113.8575],
        std=[51.5865, 50.847, 51.255],
        to_rgb=False),  # CIFAR arrays are already RGB
    backbone=dict(
        type='ResNet_CIFAR',
        depth=18,
        out_indices=(3, ),
        frozen_stages=4,
        norm_eval=True,
        init_cfg=dict(
            type='StrictPretrained',
            checkpoint='work_dirs/membank_resnet18_1xb128-steplr-200e_cifar10/'
            'epoch_200.pth',
            prefix='backbone.')),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(
        type='LinearClsHead',
        num_classes=10,
        in_channels=512,
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0),
        topk=(1, )))
