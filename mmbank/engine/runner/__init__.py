from .knn_val_loop import KNNValLoop  # noqa: F401
