# Linear classifier on the frozen pooled features of a ResNet-18 with the
# CIFAR stem (3x3 conv, no max-pool), as trained by
# configs/membank/membank_resnet18_1xb128-steplr-200e_cifar10.py: the
# classifier of resnet18_linear.py (see there for the checkpoint options)
# on mmcls's ResNet_CIFAR.
_base_ = './resnet18_linear.py'

model = dict(
    backbone=dict(
        type='ResNet_CIFAR',
        init_cfg=dict(
            checkpoint='work_dirs/membank_resnet18_1xb128-steplr-200e_cifar10/'
            'epoch_200.pth')))
