# Linear classifier on the frozen pooled features of a ResNet-50
# (mmselfsup's benchmarks/classification/_base_/models/resnet50.py with
# every stage frozen): the classifier of resnet18_linear.py (see there for
# the checkpoint options) on ImageNet's 1000 classes.
_base_ = './resnet18_linear.py'

model = dict(
    data_preprocessor=dict(
        num_classes=1000,
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        to_rgb=True),
    backbone=dict(
        depth=50,
        in_channels=3,
        num_stages=4,
        norm_cfg=dict(type='BN'),
        init_cfg=dict(checkpoint='work_dirs/membank_r50/epoch_200.pth')),
    head=dict(num_classes=1000, in_channels=2048, topk=(1, 5)))
