from .knn import (knn_accuracy, knn_neighbors, knn_predict,  # noqa: F401
                  knn_vote, topk_accuracy, topk_correct)
