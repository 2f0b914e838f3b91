# The unseen-category stand-in (configs/_base_/unseen_cifar10.py) for
# mmselfsup's NPID of the CPU protocol: trained on the 5,002 images of
# CIFAR-10 classes 0-4 among the first 10,000 (SimpleMemory is sized by its
# config: MemoryBankSetupHook refuses another length). No monitor during
# training: mmselfsup's NPID has no predict() for a retrieval ValLoop (the
# kNN monitor of the other configs extracts features itself). Final read:
#   python tools/retrieval.py configs/benchmarks/retrieval/resnet18-std-w32_retrieval_cifar10-5to9.py CKPT
_base_ = [
    './npid_resnet18-std-w32_1xb128-coslr-75e_cifar10-10k.py',
    '../_base_/unseen_cifar10.py',
]

model = dict(memory_bank=dict(length=5002))
train_dataloader = dict(
    dataset=dict(
        _delete_=True,
        type='ClassSubset',
        classes={{_base_.seen_classes}},
        dataset={{_base_.train_dataloader.dataset}}))
# the base's hooks, and MemoryBankSetupHook to check the memory's length
custom_hooks = [*_base_.custom_hooks, dict(type='MemoryBankSetupHook')]

val_dataloader = None
val_evaluator = None
val_cfg = None
