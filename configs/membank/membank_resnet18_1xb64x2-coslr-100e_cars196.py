# Unseen categories (Ye et al., CVPR 2019) on Cars-196: train on the 8,054
# images of classes 1-98, retrieve among the 8,131 images of classes 99-196
# (configs/benchmarks/retrieval/resnet18_retrieval_cars196.py). Same model,
# augmentation and schedule as the CUB-200-2011 config.
_base_ = './membank_resnet18_1xb64x2-coslr-100e_cub.py'

dataset_type = 'Cars196'
data_root = 'data/cars196/'  # cars_annos.mat and car_ims/

train_dataloader = dict(
    dataset=dict(type=dataset_type, data_root=data_root, split='train'))
