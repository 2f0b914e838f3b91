# NPID's views of CIFAR-10 made for the whole batch on the model's device by
# BatchedViewsDataPreprocessor, instead of per image in the loader by
# MultiViewWithIndex (cifar10_membank.py): the loader only packs each 32 x 32
# RGB array and its bank index; the preprocessor draws every view's random
# resized crop (scale 0.2-1), grayscale (p = 0.2, these channel weights),
# colour jitter 0.4 (a random order per view) and flip (p = 0.5) from the
# distributions of cifar10_membank.py's view_pipeline (tests/test_configs/
# test_batched_views_configs.py checks they agree) and applies them batched.
# Only `batched_views` and `batched_views_pipeline` are defined here, so a
# config takes this file as a second base, on top of a per-image one
# (mmbank's method or mmselfsup's NPID alike), and sets K:
#   _base_ = ['./membank_..._cifar10-10k.py',
#             '../_base_/datasets/cifar10_batched_views.py']
#   model = dict(data_preprocessor=dict(_base_.batched_views, num_views=2))
#   train_dataloader = dict(
#       dataset=dict(pipeline=_base_.batched_views_pipeline))
# The model's data_preprocessor keeps its mean, std and bgr_to_rgb=False.
batched_views = dict(
    type='BatchedViewsDataPreprocessor',
    crop_size=32,
    crop_scale=(0.2, 1.),
    gray_prob=0.2,
    gray_weights=(0.299, 0.587, 0.114),  # RGB arrays
    brightness=0.4,
    contrast=0.4,
    saturation=0.4,
    hue=0.4,
    flip_prob=0.5)
batched_views_pipeline = [
    dict(type='PackSelfSupInputs', algorithm_keys=['sample_idx']),
]
