# Ablation: (a) large mini-batch alone at K = 4 views, no consistency, no
# merging.
_base_ = '../membank/membank_resnet18-std-w32_1xb128x4-coslr-75e_cifar10-10k.py'

model = dict(head=dict(loss_consistency=None))
custom_hooks = {{_base_.base_hooks}}
