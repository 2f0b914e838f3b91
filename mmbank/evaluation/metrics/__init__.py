from .knn_accuracy import KNNAccuracy  # noqa: F401
from .retrieval_metric import RetrievalMetric  # noqa: F401
