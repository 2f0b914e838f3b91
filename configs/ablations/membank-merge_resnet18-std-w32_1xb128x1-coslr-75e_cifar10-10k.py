# Ablation: (c) hard-negative merging alone: K = 1 view, no consistency.
_base_ = './membank-vanilla_resnet18-std-w32_1xb128x1-coslr-75e_cifar10-10k.py'

custom_hooks = {{_base_.hooks_with_merging}}
