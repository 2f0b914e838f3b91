# Offline stand-in of the unseen-category protocol: the model trained on
# CIFAR-10 classes 0-4 (configs/membank/membank_resnet18-std_1xb64x2-coslr-
# 10e_cifar10-0to4.py) retrieves among the 5,000 test images of the unseen
# classes 5-9; Recall@{1,2,4,8} and NMI (k-means, k = 5).
#   python tools/retrieval.py configs/benchmarks/retrieval/resnet18-std_retrieval_cifar10-5to9.py CKPT
_base_ = '../../membank/membank_resnet18-std_1xb64x2-coslr-10e_cifar10-0to4.py'

model = dict(head=None)  # features only: no memory bank

unseen_classes = [5, 6, 7, 8, 9]
test_dataloader = dict(
    batch_size=256,
    num_workers=0,
    sampler=dict(type='DefaultSampler', shuffle=False),
    collate_fn=dict(type='default_collate'),
    dataset=dict(
        type='ClassSubset',
        classes=unseen_classes,
        dataset=dict(
            type={{_base_.dataset_type}},
            data_prefix={{_base_.data_root}},
            test_mode=True,
            download=False,
            pipeline=[
                dict(
                    type='PackSelfSupInputs',
                    algorithm_keys=['gt_label', 'sample_idx'])
            ])))
test_evaluator = dict(type='RetrievalMetric', ks=[1, 2, 4, 8])
test_cfg = dict()
