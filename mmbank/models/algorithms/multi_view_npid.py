from typing import Dict, List, Optional, Tuple, Union

import torch
from mmengine.structures import InstanceData
from torch import Tensor

from mmselfsup.models.algorithms.base import BaseModel
from mmselfsup.registry import MODELS
from mmselfsup.structures import SelfSupDataSample
from ..utils.embedding import backbone_and_embedding, embed_neck_output


def sample_indices(data_samples: List[SelfSupDataSample]) -> Tensor:
    """``(B,)`` dataset indices of a batch, with a clear error if absent."""
    try:
        return torch.cat([s.sample_idx.value for s in data_samples])
    except AttributeError:
        raise KeyError(
            'The batch has no sample indices: a memory bank needs them. '
            "Pack them with dict(type='PackSelfSupInputs', "
            "algorithm_keys=['sample_idx']) at the end of the pipeline."
        ) from None


@MODELS.register_module()
class MultiViewNPID(BaseModel):
    """Memory-bank instance discrimination with K views per sample.

    Implements Bulat et al., "Improving memory banks for unsupervised
    learning with large mini-batch, consistency and hard negative mining"
    (ICASSP 2021): all ``B x K`` views of a batch (from ``MultiViewWithIndex``)
    go through the network in one forward pass; the head computes the
    instance loss over the bank and the consistency between views, then the
    bank's rows of the batch move towards the views' mean. With ``K = 1`` and no consistency it is
    NPID with the full softmax.

    Args:
        backbone (dict): Backbone config.
        neck (dict): Neck config, giving the embedding (e.g. ``LinearNeck``
            to 128 dims).
        head (dict): Head config, normally ``MemoryBankHead``.
        pretrained (str, optional): Checkpoint to initialise from.
            Defaults to None.
        data_preprocessor (dict, optional): Defaults to None
            (``SelfSupDataPreprocessor``).
        init_cfg (dict, optional): Defaults to None.
    """

    def __init__(self,
                 backbone: dict,
                 neck: dict,
                 head: dict,
                 pretrained: Optional[str] = None,
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[Union[List[dict], dict]] = None) -> None:
        super().__init__(
            backbone=backbone,
            neck=neck,
            head=head,
            pretrained=pretrained,
            data_preprocessor=data_preprocessor,
            init_cfg=init_cfg)

    def extract_feat(self, inputs: List[Tensor], **kwargs) -> Tuple[Tensor]:
        """Backbone features of the first view (what mmselfsup's benchmarks
        call).

        Args:
            inputs (list[Tensor]): Views, each ``(B, C, H, W)``.

        Returns:
            tuple[Tensor]: The backbone's outputs.
        """
        return self.backbone(inputs[0])

    def embed(self, images: Tensor) -> Tensor:
        """``(M, d)`` L2-normalised embeddings of ``(M, C, H, W)`` images."""
        return embed_neck_output(self.neck(self.backbone(images)))

    def loss(self, inputs: List[Tensor],
             data_samples: List[SelfSupDataSample],
             **kwargs) -> Dict[str, Tensor]:
        """Losses of a batch of ``K`` views of ``B`` samples.

        Args:
            inputs (list[Tensor]): ``K`` tensors, each ``(B, C, H, W)``;
                view ``k`` of every sample is ``inputs[k]``.
            data_samples (list[SelfSupDataSample]): ``B`` samples carrying
                ``sample_idx``.

        Returns:
            dict[str, Tensor]: The head's losses.
        """
        idx = sample_indices(data_samples).to(inputs[0].device)
        num_views, batch = len(inputs), inputs[0].shape[0]
        feats = self.embed(torch.cat(inputs))  # (K * B, d), view-major
        view_feats = feats.view(num_views, batch, -1)  # (K, B, d)
        losses = self.head.loss(view_feats, idx)
        # the bank's row of each sample moves towards its views' mean, written
        # once the backward pass has used the rows the loss read
        self.head.memory_bank.update(idx, view_feats)
        return losses

    def predict(self, inputs: List[Tensor],
                data_samples: List[SelfSupDataSample],
                **kwargs) -> List[SelfSupDataSample]:
        """Attach each sample's pooled backbone feature and embedding.

        Sets ``data_sample.feats = InstanceData(backbone=(C,), neck=(d,))``
        from the first view.
        """
        pooled, embedding = backbone_and_embedding(self.backbone, self.neck,
                                                   inputs[0])
        for i, sample in enumerate(data_samples):
            sample.feats = InstanceData(
                backbone=pooled[i:i + 1], neck=embedding[i:i + 1])
        return data_samples
