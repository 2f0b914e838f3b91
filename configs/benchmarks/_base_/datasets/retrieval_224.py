# Retrieval split of an image-file dataset (CUB-200-2011, Cars-196, SOP) at
# 224 x 224, no augmentation, for tools/retrieval.py and tools/test.py; the
# configs set test_dataloader.dataset's type and data_root.
extract_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='mmcls.ResizeEdge', scale=256, edge='short', backend='pillow'),
    dict(type='CenterCrop', crop_size=224),
    dict(type='PackSelfSupInputs', algorithm_keys=['gt_label', 'sample_idx']),
]
test_dataloader = dict(
    batch_size=128,
    num_workers=8,
    sampler=dict(type='DefaultSampler', shuffle=False),
    collate_fn=dict(type='default_collate'),
    dataset=dict(split='test', pipeline=extract_pipeline))
test_evaluator = dict(type='RetrievalMetric', ks=[1, 2, 4, 8])
test_cfg = dict()
