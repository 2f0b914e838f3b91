# STL-10 as in Ye et al. (CVPR 2019) and the paper: train on the 105,000
# train + unlabelled images (no labels used), evaluate with kNN and linear
# classification on the 5,000 labelled train / 8,000 test images
# (tools/knn.py with this config, whose kNN splits stl10_membank.py sets;
# configs/benchmarks/linear/resnet18_linear-1xb256-coslr-100e_stl10.py).
# ResNet-18 with the standard stem on 96 x 96 images, 128 samples x 2 views,
# full softmax over the 105,000-row bank, consistency and merging; NPID's
# optimiser with 200 cosine epochs. Needs a GPU (about 2.5 GB of images are
# read from the official binary files per epoch, never held in memory).
_base_ = [
    '../_base_/models/membank_resnet18.py',
    '../_base_/datasets/stl10_membank.py',
    '../_base_/schedules/sgd_coslr-200e.py',
    '../_base_/default_runtime.py',
]

model = dict(
    data_preprocessor=dict(
        mean=(113.9, 112.2, 103.7), std=(66.4, 65.4, 69.2),
        bgr_to_rgb=False))  # STL10 arrays are RGB

# merge after epochs 80, 90, ..., 200, growing to 10% of the bank
merge_hook = dict(_base_.merge_hook, start_epoch=80, interval=10)
custom_hooks = [
    *_base_.custom_hooks[:-1], merge_hook, _base_.custom_hooks[-1]]
