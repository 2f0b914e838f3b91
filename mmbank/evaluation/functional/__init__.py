from .knn import (knn_accuracy, knn_neighbors, knn_predict,  # noqa: F401
                  knn_vote, topk_accuracy, topk_correct)
from .retrieval import (check_retrieval_inputs, nmi,  # noqa: F401
                        recall_at_k, retrieval_scores, stable_topk)
