# Ablation: all three components at K = 4 views (the CPU protocol's full
# method).
_base_ = '../membank/membank_resnet18-std-w32_1xb128x4-coslr-75e_cifar10-10k.py'
