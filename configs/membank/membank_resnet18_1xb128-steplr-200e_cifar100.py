# The paper's small-data protocol on CIFAR-100.
_base_ = './membank_resnet18_1xb128-steplr-200e_cifar10.py'

train_dataloader = dict(
    dataset=dict(type='OfflineCIFAR100', data_prefix='data/cifar100/'))
