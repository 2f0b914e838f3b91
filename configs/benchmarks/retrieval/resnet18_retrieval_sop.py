# Unseen categories (Ye et al., CVPR 2019) on Stanford Online Products: the
# model trained on Ebay_train.txt (configs/membank/membank_resnet18_1xb64x2-
# coslr-50e_sop.py) retrieves among the 60,502 images of Ebay_test.txt
# (11,316 classes); Recall@{1,10,100} and NMI (k-means, k = 11,316: by far
# the slowest part; tools/retrieval.py --no-nmi skips it).
#   python tools/retrieval.py configs/benchmarks/retrieval/resnet18_retrieval_sop.py CKPT
_base_ = [
    '../../membank/membank_resnet18_1xb64x2-coslr-50e_sop.py',
    '../_base_/datasets/retrieval_224.py',
]

model = dict(head=None)  # features only: no memory bank

test_dataloader = dict(
    dataset=dict(
        type='StanfordOnlineProducts',
        data_root='data/Stanford_Online_Products/'))
test_evaluator = dict(ks=[1, 10, 100])
