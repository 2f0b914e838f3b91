# Ablation: (b) consistency: K = 2 views (the loss needs two) and the KL
# consistency, no merging. Compare with the views-only ablation.
_base_ = '../membank/membank_resnet18-std_1xb64x2-coslr-10e_cifar10-5k.py'

custom_hooks = {{_base_.base_hooks}}
