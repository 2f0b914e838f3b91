# Ablation: the vanilla memory bank (NPID with the full softmax): K = 1 view,
# no consistency, no merging. Differs from the full method only in those
# switches.
_base_ = '../membank/membank_resnet18-std-w32_1xb128x2-coslr-75e_cifar10-10k.py'

model = dict(
    data_preprocessor=dict(num_views=1), head=dict(loss_consistency=None))
custom_hooks = {{_base_.base_hooks}}
