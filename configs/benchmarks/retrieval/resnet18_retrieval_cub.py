# Unseen categories (Ye et al., CVPR 2019) on CUB-200-2011: the model
# trained on classes 1-100 (configs/membank/membank_resnet18_1xb64x2-coslr-
# 100e_cub.py) retrieves among the 5,924 images of classes 101-200;
# Recall@{1,2,4,8} and NMI (k-means, k = 100).
#   python tools/retrieval.py configs/benchmarks/retrieval/resnet18_retrieval_cub.py CKPT
_base_ = ['../../membank/membank_resnet18_1xb64x2-coslr-100e_cub.py',
          '../_base_/datasets/retrieval_224.py']

model = dict(head=None)  # features only: no memory bank
test_dataloader = dict(
    dataset=dict(type='CUB200', data_root='data/CUB_200_2011/'))
