# kNN monitor for CIFAR-10: every `val_interval` training epochs, weighted
# kNN (k = 200, T = 0.1, the NPID protocol) of the test split against the
# train split, both without augmentation, on the pooled backbone feature
# and (if the model has a neck) the L2-normalised embedding. Logged as
# knn/backbone_top1_k200, knn/neck_top1_k200, ... in the training log and
# the visualiser backends (vis_data/scalars.json, TensorBoard).
#
# Include it in `_base_` and set how often it runs in the config, e.g.
#   train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=10,
#                    val_interval=5)
# To evaluate the memory on a training subset, pass the same `indices`:
#   val_cfg = dict(memory_dataloader=dict(dataset=dict(indices=5000)))
_base_ = './eval_loader.py'

knn_data_root = 'data/cifar10/'
# no augmentation: CIFAR images are already 32x32
knn_pipeline = [
    dict(type='PackSelfSupInputs', algorithm_keys=['sample_idx', 'gt_label'])
]

val_dataloader = dict(
    _base_.eval_loader,
    num_workers=0,
    dataset=dict(
        type='OfflineCIFAR10',
        data_prefix=knn_data_root,
        test_mode=True,
        pipeline=knn_pipeline))
# exact=True: the chunking- and BLAS-independent search the published
# curves were logged with (float32, the default, is faster on GPUs)
val_evaluator = dict(
    type='KNNAccuracy', ks=[200], temperature=0.1, topk=[1, 5], exact=True)
# the memory: the train split through the same loader
val_cfg = dict(
    type='KNNValLoop',
    memory_dataloader=dict(
        val_dataloader,
        dataset=dict(val_dataloader['dataset'], test_mode=False)))
