# ResNet-18 with the CIFAR stem (3x3 conv, no max-pool): the model of
# membank_resnet18.py on mmcls's ResNet_CIFAR (the paper's small-data model).
_base_ = './membank_resnet18.py'

model = dict(
    backbone=dict(
        type='mmcls.ResNet_CIFAR', out_indices=[3], zero_init_residual=False))
