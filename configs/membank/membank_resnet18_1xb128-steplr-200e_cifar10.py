# The paper's small-data protocol on CIFAR-10: ResNet-18 (CIFAR stem),
# 128 samples x K = 2 views per batch, full softmax, consistency and merging.
_base_ = [
    '../_base_/models/membank_resnet18_cifar.py',
    '../_base_/datasets/cifar10_membank.py',
    '../_base_/schedules/sgd_steplr-200e_cifar.py',
    '../_base_/default_runtime.py',
]

# merge after epochs 80, 90, ..., 200, growing to 10% of the bank
merge_hook = dict(
    _base_.merge_hook, start_epoch=80, interval=10, average_rows=False)
custom_hooks = [
    *_base_.custom_hooks[:-1], merge_hook, _base_.custom_hooks[-1]]
