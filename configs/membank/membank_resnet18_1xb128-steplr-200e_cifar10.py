# The paper's small-data protocol on CIFAR-10: ResNet-18 (CIFAR stem),
# 128 samples x K = 2 views per batch, full softmax, consistency and merging.
# Tuned on the CPU protocol's validation split (docs/results.md, "Tuning")
# and inherited here: the consistency loss's weight 1, temperature 0.1 and
# undetached target (base model), the full softmax, an lr not grown with
# the views, and K = 2: at equal images through the network K = 2 for
# twice the epochs beat K = 4 there (validation kNN 52.98 / 55.86 against
# 49.42 / 51.90; K = 4 leads only at equal epochs, by 2.0) and came within
# a point of NPID at equal images (-1.1 / +0.3). The merge settings are
# carried over, not tuned (on the CPU protocol merging moved nothing).
_base_ = [
    '../_base_/models/membank_resnet18_cifar.py',
    '../_base_/datasets/cifar10_membank.py',
    '../_base_/schedules/sgd_steplr-200e_cifar.py',
    '../_base_/default_runtime.py',
]

# merge after epochs 80, 90, ..., 200, growing to 10% of the bank
model = dict(data_preprocessor=_base_.batched_views)  # K = 2, batched
merge_hook = dict(
    _base_.merge_hook, start_epoch=80, interval=10)
custom_hooks = [*_base_.custom_hooks, merge_hook]
