# The full method (32 x 4 views, consistency, merging) on the unseen-category
# stand-in at NPID's schedule there, 150 epochs
# (../npid/npid_resnet18-std-w32_1xb32-coslr-150e_cifar10-20k-0to4.py):
# trained on the 10,000 images of CIFAR-10 classes 0-4 among the first
# 20,000; merging starts at the middle of training (epoch 75), as at 75
# epochs (epoch 38); Recall@K / NMI among the validation images of classes
# 5-9 every 25 epochs. Final read on the test images of classes 5-9:
#   python tools/retrieval.py configs/benchmarks/retrieval/resnet18-std-w32_retrieval_cifar10-5to9.py CKPT
_base_ = './membank_resnet18-std-w32_1xb32x4-coslr-75e_cifar10-20k-0to4.py'

max_epochs = 150
param_scheduler = [
    dict(type='CosineAnnealingLR', T_max=max_epochs, by_epoch=True,
         begin=0, end=max_epochs)
]
train_cfg = dict(max_epochs=max_epochs)
custom_hooks = [*_base_.base_hooks,
                dict(_base_.merge_hook, start_epoch=75)]
