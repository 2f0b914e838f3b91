from typing import Callable, List, Union

from mmselfsup.datasets.transforms import MultiView
from mmselfsup.registry import TRANSFORMS


@TRANSFORMS.register_module()
class MultiViewWithIndex(MultiView):
    """``K`` independently augmented views of a sample, keeping its index.

    Runs ``transforms`` ``num_views`` times on the same input, giving
    ``results['img']`` as a list of ``K`` images; ``PackSelfSupInputs``
    then packs them as ``K`` inputs, so the algorithm sees view ``k`` of all
    ``B`` samples as ``inputs[k]`` and every view of sample ``b`` at row
    ``b``. It refuses input without ``sample_idx`` (which mmengine datasets
    add), since a memory bank cannot work without it.

    Args:
        num_views (int): ``K >= 1``.
        transforms (list[dict | callable]): The augmentation pipeline.

    Example:
        >>> dict(type='MultiViewWithIndex', num_views=4,
        ...      transforms=[dict(type='RandomResizedCrop', size=32)])
    """

    def __init__(self, num_views: int,
                 transforms: List[Union[dict, Callable]]) -> None:
        if not isinstance(num_views, int) or num_views < 1:
            raise ValueError(
                f'num_views must be an int >= 1, got {num_views!r}')
        super().__init__(transforms=[transforms], num_views=[num_views])

    @property
    def total_views(self) -> int:
        """``K``, the number of views produced."""
        return self.num_views[0]

    def transform(self, results: dict) -> dict:
        if 'sample_idx' not in results:
            raise KeyError(
                'MultiViewWithIndex got a sample without sample_idx; the '
                'memory bank needs each sample\'s dataset index. mmengine '
                'datasets add it (BaseDataset.get_data_info); a custom '
                'dataset must add it too.')
        return super().transform(results)

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(num_views={self.total_views}, '
                f'transforms={self.pipelines[0]})')
