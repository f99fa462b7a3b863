"""Customer segmentation: preparation, algorithm selection, validation, profiles and names.

:func:`segment_customers` is the entry point; the pieces are public for reuse and testing.
"""

from cible.segmentation.customer_segments import segment_customers
from cible.segmentation.naming import name_segments
from cible.segmentation.profiles import profile_segments
from cible.segmentation.segmentation_result import (
    PROSPECT_SEGMENT_ID,
    PROSPECT_SEGMENT_NAME,
    SegmentationResult,
)

__all__ = [
    "PROSPECT_SEGMENT_ID",
    "PROSPECT_SEGMENT_NAME",
    "SegmentationResult",
    "name_segments",
    "profile_segments",
    "segment_customers",
]
