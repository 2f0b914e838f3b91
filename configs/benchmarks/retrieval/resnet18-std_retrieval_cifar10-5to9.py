# Offline stand-in of the unseen-category protocol: the model trained on
# CIFAR-10 classes 0-4 (configs/membank/membank_resnet18-std_1xb64x2-coslr-
# 10e_cifar10-0to4.py) retrieves among the 5,000 test images of the unseen
# classes 5-9; Recall@{1,2,4,8} and NMI (k-means, k = 5).
#   python tools/retrieval.py configs/benchmarks/retrieval/resnet18-std_retrieval_cifar10-5to9.py CKPT
_base_ = '../../membank/membank_resnet18-std_1xb64x2-coslr-10e_cifar10-0to4.py'

model = dict(head=None)  # features only: no memory bank

# what the training config monitors: the unseen classes' test images
test_dataloader = {
    key: value
    for key, value in _base_.val_dataloader.items()
    if key != 'persistent_workers'
}
test_evaluator = {{_base_.val_evaluator}}
test_cfg = dict()
