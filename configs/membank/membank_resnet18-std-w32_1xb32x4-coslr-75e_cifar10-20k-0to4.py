# The full method (32 x 4 views, consistency, merging) on the unseen-category
# stand-in of configs/npid/npid_resnet18-std-w32_1xb32-coslr-75e_cifar10-20k-0to4.py:
# trained on the 10,000 images of CIFAR-10 classes 0-4 among the first
# 20,000; Recall@K / NMI among the validation images of classes 5-9 every 25
# epochs. Final read on the test images of classes 5-9:
#   python tools/retrieval.py configs/benchmarks/retrieval/resnet18-std-w32_retrieval_cifar10-5to9.py CKPT
_base_ = './membank_resnet18-std-w32_1xb128x4-coslr-75e_cifar10-0to4.py'

train_dataloader = dict(
    batch_size=32, dataset=dict(dataset=dict(indices=20000)))
