__all__ = []
from .retrieval_metric import RetrievalMetric  # noqa: E402,F401
