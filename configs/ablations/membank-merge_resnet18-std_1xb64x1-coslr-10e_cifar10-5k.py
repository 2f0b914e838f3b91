# Ablation: (c) hard negative merging alone: K = 1 view, no consistency.
_base_ = './membank-vanilla_resnet18-std_1xb64x1-coslr-10e_cifar10-5k.py'

custom_hooks = {{_base_.hooks_with_merging}}
