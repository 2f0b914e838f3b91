# Unseen categories (Ye et al., CVPR 2019) on Stanford Online Products:
# train on Ebay_train.txt (59,551 images of 11,318 classes), retrieve among
# Ebay_test.txt (60,502 images of 11,316 classes) with Recall@{1,10,100}
# (configs/benchmarks/retrieval/resnet18_retrieval_sop.py). Same model and
# augmentation as the CUB-200-2011 config; 59,551 bank rows (full softmax)
# and 50 epochs, as there are ten times more images.
_base_ = './membank_resnet18_1xb64x2-coslr-100e_cub.py'

dataset_type = 'StanfordOnlineProducts'
data_root = 'data/Stanford_Online_Products/'

train_dataloader = dict(
    dataset=dict(type=dataset_type, data_root=data_root, split='train'))

max_epochs = 50
param_scheduler = [
    dict(_base_.param_scheduler[0], T_max=max_epochs, end=max_epochs)
]
train_cfg = dict(max_epochs=max_epochs)
# CUB's hooks, merging from epoch 20
merge_hook = dict(_base_.merge_hook, start_epoch=20)
custom_hooks = [
    merge_hook if hook.type == 'HardNegativeMergeHook' else hook
    for hook in _base_.custom_hooks
]
