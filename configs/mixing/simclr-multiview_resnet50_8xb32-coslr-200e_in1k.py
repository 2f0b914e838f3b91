# mmselfsup's own SimCLR config with mmbank's multi-view pipeline in place of
# mmselfsup's MultiView: the same two augmented views, plus each sample's
# dataset index checked and packed (which SimCLR ignores, but a memory bank
# added to it would need).
_base_ = 'mmselfsup::selfsup/simclr/simclr_resnet50_8xb32-coslr-200e_in1k.py'

custom_imports = dict(imports=['mmbank'], allow_failed_imports=False)

view_pipeline = [
    dict(type='RandomResizedCrop', size=224, backend='pillow'),
    dict(type='RandomFlip', prob=0.5),
    dict(
        type='RandomApply',
        transforms=[
            dict(
                type='ColorJitter',
                brightness=0.8,
                contrast=0.8,
                saturation=0.8,
                hue=0.2)
        ],
        prob=0.8),
    dict(
        type='RandomGrayscale',
        prob=0.2,
        keep_channels=True,
        channel_weights=(0.114, 0.587, 0.2989)),
    dict(type='RandomGaussianBlur', sigma_min=0.1, sigma_max=2.0, prob=0.5),
]
train_dataloader = dict(
    collate_fn=dict(_delete_=True, type='default_collate'),
    dataset=dict(pipeline=[
        dict(type='LoadImageFromFile'),
        dict(type='MultiViewWithIndex', num_views=2,
             transforms=view_pipeline),
        dict(type='PackSelfSupInputs', algorithm_keys=['sample_idx']),
    ]))
