# The training loader of the multi-view dataset bases here: shuffled, whole
# batches only, workers kept between epochs. The dataset bases set the
# batch size, the dataset and its pipeline (K views of each sample).
train_dataloader = dict(
    num_workers=8,
    drop_last=True,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    collate_fn=dict(type='default_collate'))
