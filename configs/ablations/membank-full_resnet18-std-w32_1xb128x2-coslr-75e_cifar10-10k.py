# Ablation: all three components (the CPU protocol's full method).
_base_ = '../membank/membank_resnet18-std-w32_1xb128x2-coslr-75e_cifar10-10k.py'
