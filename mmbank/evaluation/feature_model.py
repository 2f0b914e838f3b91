"""The model the evaluation tools build from a training config: backbone,
optional neck and data preprocessor, without the head."""
from typing import Optional

import torch.nn as nn
from mmengine.model import BaseModel as EngineBaseModel

from mmselfsup.registry import MODELS


class FeatureModel(EngineBaseModel):
    """Backbone + optional neck + data preprocessor, without the head.

    What the evaluation tools build from a training config: the head (and a
    memory bank with one row per training image) is not needed to extract
    features, and mmbank's banks can only be sized from a training set.
    Its ``state_dict`` keys are those of the full algorithm
    (``backbone.*``, ``neck.*``), so algorithm checkpoints load into it.

    Args:
        backbone (dict): Backbone config.
        neck (dict, optional): Neck config. Defaults to None.
        data_preprocessor (dict, optional): Defaults to None
            (``SelfSupDataPreprocessor`` without normalisation).
    """

    def __init__(self,
                 backbone: dict,
                 neck: Optional[dict] = None,
                 data_preprocessor: Optional[dict] = None) -> None:
        data_preprocessor = dict(data_preprocessor or {})
        data_preprocessor.setdefault('type',
                                     'mmselfsup.SelfSupDataPreprocessor')
        super().__init__(data_preprocessor=data_preprocessor)
        self.backbone = MODELS.build(backbone)
        self.neck = MODELS.build(neck) if neck is not None else None

    @property
    def with_neck(self) -> bool:
        return self.neck is not None

    def forward(self, inputs, data_samples=None, mode: str = 'tensor'):
        """``(mode='tensor')``: the backbone outputs of the first view."""
        if mode != 'tensor':
            raise NotImplementedError(
                f'FeatureModel only extracts features (mode="tensor"), got '
                f'mode="{mode}"')
        images = inputs[0] if isinstance(inputs, (list, tuple)) else inputs
        return self.backbone(images)


def build_feature_model(model_cfg: dict, with_neck: bool = True) -> nn.Module:
    """Build the backbone (+ neck) and data preprocessor of an algorithm
    config.

    Args:
        model_cfg (dict): The ``model`` field of a training config.
        with_neck (bool): Build the neck as well, if the config has one.
            Defaults to True.

    Returns:
        FeatureModel: The model, in eval mode.
    """
    if 'backbone' not in model_cfg:
        raise KeyError('The model config has no backbone: cannot extract '
                       f'features (model type {model_cfg.get("type")}).')
    neck = model_cfg.get('neck') if with_neck else None
    model = FeatureModel(
        backbone=model_cfg['backbone'],
        neck=neck,
        data_preprocessor=model_cfg.get('data_preprocessor'))
    return model.eval()
