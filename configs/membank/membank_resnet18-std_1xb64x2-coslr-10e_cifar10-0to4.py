# Offline stand-in of the unseen-category protocol (Ye et al., CVPR 2019),
# CPU-sized (about 6 minutes on 2 CPU cores): the CPU protocol's model and
# schedule trained on the CIFAR-10 classes 0-4 only (the about 5,000 images
# of those classes among the first 5,000 training images). Retrieval on
# the test images of the unseen classes 5-9:
# configs/benchmarks/retrieval/resnet18-std_retrieval_cifar10-5to9.py.
_base_ = './membank_resnet18-std_1xb64x2-coslr-10e_cifar10-5k.py'

seen_classes = [0, 1, 2, 3, 4]

train_dataloader = dict(
    dataset=dict(
        _delete_=True,
        type='ClassSubset',
        classes=seen_classes,
        dataset={{_base_.train_dataloader.dataset}}))

# Monitor during training (every val_interval epochs and after the last):
# Recall@K and NMI on the unseen classes' test images, as the retrieval
# config measures them, logged as retrieval/backbone/recall@1, ... (this
# replaces the CPU protocol's kNN monitor, which would mix in the unseen
# classes).
unseen_classes = [5, 6, 7, 8, 9]
train_cfg = dict(val_interval=5)
val_dataloader = dict(
    dataset=dict(
        _delete_=True,
        type='ClassSubset',
        classes=unseen_classes,
        dataset=dict(
            _base_.val_dataloader.dataset,  # the test split
            download=False,
            pipeline=[
                dict(
                    type='PackSelfSupInputs',
                    algorithm_keys=['gt_label', 'sample_idx'])
            ])))
val_evaluator = dict(
    _delete_=True, type='RetrievalMetric', ks=[1, 2, 4, 8], exact=True)
val_cfg = dict(_delete_=True, type='ValLoop')
