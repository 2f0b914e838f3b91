from .multi_view_npid import MultiViewNPID, sample_indices

__all__ = ['MultiViewNPID', 'sample_indices']
