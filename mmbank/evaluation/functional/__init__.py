from .knn import knn_accuracy, knn_predict, knn_vote  # noqa: F401
from .knn_neighbors import knn_neighbors  # noqa: F401
from .retrieval import (check_retrieval_inputs, nmi,  # noqa: F401
                        recall_at_k, retrieval_scores, stable_topk)
from .topk import topk_accuracy, topk_correct  # noqa: F401
