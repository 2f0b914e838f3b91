# Ablation: (a) large mini-batch alone: K = 2 views, no consistency, no
# merging.
_base_ = '../membank/membank_resnet18-std_1xb64x2-coslr-10e_cifar10-5k.py'

model = dict(head=dict(loss_consistency=None))
custom_hooks = {{_base_.base_hooks}}
