# The unseen-category stand-in's final read (configs/_base_/unseen_cifar10.py)
# for the CPU protocol's ResNet-18 (std stem, half width): a model trained
# on CIFAR-10 classes 0-4 (configs/membank/membank_resnet18-std-w32_1xb128x4-
# coslr-75e_cifar10-0to4.py, or NPID's configs/npid/npid_resnet18-std-w32_
# 1xb128-coslr-75e_cifar10-0to4.py: same backbone and neck) retrieves among
# the 5,000 test images of classes 5-9; Recall@{1,2,4,8} and NMI (k-means,
# k = 5).
#   python tools/retrieval.py configs/benchmarks/retrieval/resnet18-std-w32_retrieval_cifar10-5to9.py CKPT
_base_ = '../../membank/membank_resnet18-std-w32_1xb128x4-coslr-75e_cifar10-0to4.py'

model = dict(head=None)  # features only: no memory bank

test_dataloader = {{_base_.unseen_test_dataloader}}
test_evaluator = {{_base_.unseen_val_evaluator}}
test_cfg = dict()
