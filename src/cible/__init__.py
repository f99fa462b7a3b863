"""cible: advanced audience segmentation for marketing teams."""

from cible import _moved
from cible.config import CibleConfig, SegmentationConfig, load_config
from cible.exceptions import CibleError

_moved.install()

__version__ = "0.1.0"

__all__ = ["CibleConfig", "CibleError", "SegmentationConfig", "__version__", "load_config"]
