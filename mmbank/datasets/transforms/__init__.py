from .multi_view_with_index import MultiViewWithIndex
from .pack_image_and_index import PackImageAndIndex

__all__ = ['MultiViewWithIndex', 'PackImageAndIndex']
