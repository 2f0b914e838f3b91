# NPID's augmentation (Wu et al. 2018; mmselfsup's imagenet_npid.py), the
# one every dataset here uses and MultiViewWithIndex applies K times per
# sample: random resized crop (scale 0.2-1), grayscale (p = 0.2), colour
# jitter 0.4, horizontal flip. Given for 224 x 224 crops of BGR images
# (LoadImageFromFile: ImageNet, CUB, Cars, SOP). Two settings depend on the
# data, the crop size and the channel order of the grayscale weights; a
# dataset base on other images restates those two transforms only, e.g.
# cifar10_membank.py for 32 x 32 RGB arrays:
#   view_pipeline = [
#       dict(_base_.view_pipeline[0], size=32),
#       dict(_base_.view_pipeline[1], channel_weights=(0.299, 0.587, 0.114)),
#       *_base_.view_pipeline[2:],
#   ]
# Only `view_pipeline` is defined here, so a stock mmselfsup config can take
# this file as a second base (configs/mixing/).
view_pipeline = [
    dict(
        type='RandomResizedCrop', size=224, scale=(0.2, 1.), backend='pillow'),
    dict(
        type='RandomGrayscale',
        prob=0.2,
        keep_channels=True,
        channel_weights=(0.114, 0.587, 0.2989)),  # BGR images
    dict(
        type='ColorJitter',
        brightness=0.4,
        contrast=0.4,
        saturation=0.4,
        hue=0.4),
    dict(type='RandomFlip', prob=0.5),
]
