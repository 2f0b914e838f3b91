# CUB-200-2011 with K augmented views per sample: image files, so ImageNet's
# loading and 224 x 224 views (imagenet_membank.py), on the split 'train'
# (the first half of the classes), 64 samples per batch. The Cars-196 and
# SOP configs set the dataset's type and data_root.
_base_ = './imagenet_membank.py'

dataset_type = 'CUB200'
data_root = 'data/CUB_200_2011/'

train_dataloader = dict(
    batch_size=64,
    dataset=dict(
        _delete_=True,
        type=dataset_type,
        data_root=data_root,
        split='train',  # the first half of the classes
        pipeline={{_base_.train_pipeline}}))
