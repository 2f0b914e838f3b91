# STL-10 as in Ye et al. (CVPR 2019) and the paper: train on the 105,000
# train + unlabelled images (no labels used), evaluate with kNN and linear
# classification on the 5,000 labelled train / 8,000 test images
# (tools/knn.py with this config, whose kNN splits stl10_membank.py sets;
# configs/benchmarks/linear/resnet18_linear-1xb256-coslr-100e_stl10.py).
# ResNet-18 with the standard stem on 96 x 96 images, 128 samples x 2 views,
# full softmax over the 105,000-row bank, consistency and merging; NPID's
# optimiser with 200 cosine epochs. Needs a GPU (about 2.5 GB of images are
# read from the official binary files per epoch, never held in memory).
# Tuned on the CPU protocol's validation split (docs/results.md, "Tuning")
# and inherited here: the consistency loss's weight 1, temperature 0.1 and
# undetached target (base model), the full softmax, an lr not grown with
# the views, and K = 2: at equal images through the network K = 2 for
# twice the epochs beat K = 4 there (validation kNN 52.98 / 55.86 against
# 49.42 / 51.90; K = 4 leads only at equal epochs, by 2.0) and came within
# a point of NPID at equal images (-1.1 / +0.3). The merge settings are
# carried over, not tuned (on the CPU protocol merging moved nothing).
_base_ = [
    '../_base_/models/membank_resnet18.py',
    '../_base_/datasets/stl10_membank.py',
    '../_base_/schedules/sgd_coslr-200e.py',
    '../_base_/default_runtime.py',
]

model = dict(
    data_preprocessor=dict(
        _base_.batched_views,  # K = 2 views of 96 x 96, batched
        mean=(113.9, 112.2, 103.7), std=(66.4, 65.4, 69.2),
        bgr_to_rgb=False))  # STL10 arrays are RGB

# merge after epochs 80, 90, ..., 200, growing to 10% of the bank
merge_hook = dict(_base_.merge_hook, start_epoch=80, interval=10)
custom_hooks = [*_base_.custom_hooks, merge_hook]
