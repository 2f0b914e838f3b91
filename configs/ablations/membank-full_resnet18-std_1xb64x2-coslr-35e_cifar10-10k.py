# Ablation: all three components (the CPU protocol's full method).
_base_ = '../membank/membank_resnet18-std_1xb64x2-coslr-35e_cifar10-10k.py'
