# Ablation: the vanilla memory bank (NPID with the full softmax): K = 1 view,
# no consistency, no merging. Differs from the full method only in those
# switches.
_base_ = '../membank/membank_resnet18-std_1xb64x2-coslr-10e_cifar10-5k.py'

model = dict(
    data_preprocessor=dict(num_views=1), head=dict(loss_consistency=None))
custom_hooks = {{_base_.base_hooks}}
