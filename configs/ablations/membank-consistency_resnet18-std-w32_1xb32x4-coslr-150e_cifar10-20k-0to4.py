# Ablation: the unseen-category stand-in's full method at 150 epochs
# (../membank/membank_resnet18-std-w32_1xb32x4-coslr-150e_cifar10-20k-0to4.py)
# without merging: the no-merge arm of the unseen comparison
# (.dev_scripts/cifar_suite.py, nomerge-20k-0to4-150e).
_base_ = '../membank/membank_resnet18-std-w32_1xb32x4-coslr-150e_cifar10-20k-0to4.py'

custom_hooks = {{_base_.base_hooks}}
