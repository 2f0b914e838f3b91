# NPID's views (npid_views.py) of images of varying size, read from files as
# BGR (ImageNet, CUB, Cars, SOP): what needs each image's own size runs per
# image in the loader, the rest batched on the model's device.
#   loader (per image): LoadImageFromFile, then K random resized crops
#       (`batched_views_crop`, npid_views.py's) with MultiViewWithIndex;
#   BatchedViewsDataPreprocessor(geometric=False): flip, grayscale (these
#       BGR weights, read as the input's channel order) and colour jitter
#       (a random order per view) of the K crops, batched; with
#       bgr_to_rgb=True in the model's data_preprocessor, as for these data.
# Only `batched_views_crop` and `batched_views` are defined here, so a config
# takes this file as a second base and writes the pipeline with its K:
#   model = dict(data_preprocessor=dict(_base_.batched_views, num_views=K))
#   train_dataloader = dict(dataset=dict(pipeline=[
#       dict(type='LoadImageFromFile'),
#       dict(type='MultiViewWithIndex', num_views=K,
#            transforms=[_base_.batched_views_crop]),
#       dict(type='PackSelfSupInputs', algorithm_keys=['sample_idx'])]))
# (configs/mixing/npid-bv_resnet50_8xb32-steplr-200e_in1k.py does so for
# mmselfsup's own NPID config; imagenet_membank.py for mmbank's). Arrays of
# one size make the crops batched too: cifar10_membank.py.
batched_views_crop = dict(
    type='RandomResizedCrop', size=224, scale=(0.2, 1.), backend='pillow')
batched_views = dict(
    type='BatchedViewsDataPreprocessor',
    geometric=False,
    gray_prob=0.2,
    gray_weights=(0.114, 0.587, 0.2989),  # BGR images
    brightness=0.4,
    contrast=0.4,
    saturation=0.4,
    hue=0.4,
    flip_prob=0.5)
