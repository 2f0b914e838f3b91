# Ablation: the CPU protocol's 32 x 4 config without merging (K = 4 views
# and consistency): the no-merge arm of the near-duplicate benchmark
# (.dev_scripts/near_duplicates.py).
_base_ = '../membank/membank_resnet18-std-w32_1xb32x4-coslr-75e_cifar10-10k.py'

custom_hooks = {{_base_.base_hooks}}
