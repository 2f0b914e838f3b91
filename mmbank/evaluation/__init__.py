from .metrics import *  # noqa: F401,F403
from .feature_extraction import extract_features, forward_features  # noqa
from .feature_model import FeatureModel, build_feature_model  # noqa: F401
from .functional import *  # noqa: F401,F403
from .pretrained_init import StrictPretrainedInit  # noqa: F401
