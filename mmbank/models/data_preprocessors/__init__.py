from .batched_views_data_preprocessor import BatchedViewsDataPreprocessor

__all__ = ['BatchedViewsDataPreprocessor']
