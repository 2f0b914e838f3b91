from .multi_view_with_index import MultiViewWithIndex

__all__ = ['MultiViewWithIndex']
