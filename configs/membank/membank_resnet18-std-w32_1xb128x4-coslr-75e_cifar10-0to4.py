# The unseen-category stand-in (configs/_base_/unseen_cifar10.py) for the
# full method of the CPU protocol (K = 4 views, the tuned choice): trained
# on the 5,002 images of CIFAR-10 classes 0-4 among the first 10,000;
# Recall@K / NMI among the validation images of classes 5-9 every 25
# epochs. Final read on the test images of classes 5-9:
#   python tools/retrieval.py configs/benchmarks/retrieval/resnet18-std-w32_retrieval_cifar10-5to9.py CKPT
_base_ = [
    './membank_resnet18-std-w32_1xb128x4-coslr-75e_cifar10-10k.py',
    '../_base_/unseen_cifar10.py',
]

train_dataloader = dict(
    dataset=dict(
        _delete_=True,
        type='ClassSubset',
        classes={{_base_.seen_classes}},
        dataset={{_base_.train_dataloader.dataset}}))

train_cfg = dict(val_interval=25)
val_dataloader = dict(_base_.unseen_val_dataloader, _delete_=True)
val_evaluator = dict(_base_.unseen_val_evaluator, _delete_=True)
val_cfg = dict(_delete_=True, type='ValLoop')
