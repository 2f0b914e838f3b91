# Ablation: (b) consistency at K = 4 views, no merging. Compare with the
# views ablation.
_base_ = '../membank/membank_resnet18-std-w32_1xb128x4-coslr-75e_cifar10-10k.py'

custom_hooks = {{_base_.base_hooks}}
