# Unseen categories (Ye et al., CVPR 2019) on Cars-196: the model trained on
# classes 1-98 (configs/membank/membank_resnet18_1xb64x2-coslr-100e_
# cars196.py) retrieves among the 8,131 images of classes 99-196;
# Recall@{1,2,4,8} and NMI (k-means, k = 98).
#   python tools/retrieval.py configs/benchmarks/retrieval/resnet18_retrieval_cars196.py CKPT
_base_ = ['../../membank/membank_resnet18_1xb64x2-coslr-100e_cars196.py',
          '../_base_/datasets/retrieval_224.py']

model = dict(head=None)  # features only: no memory bank
test_dataloader = dict(
    dataset=dict(type='Cars196', data_root='data/cars196/'))
