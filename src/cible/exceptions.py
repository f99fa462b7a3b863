"""The one error tree of cible.

Every error cible raises on purpose derives from :class:`CibleError`; callers (CLI, API, stream
consumer) map this tree to exit codes or HTTP statuses in one place.

::

    CibleError
    ├── ConfigError            cible.yaml is unreadable, has an unknown key or an invalid value
    ├── NotFoundError          a customer, segment or run asked for by id does not exist
    ├── ConflictError          the request is valid but the current state refuses it
    ├── InvalidInputError      one field of a request is invalid (field, reason)
    ├── SourceError            an input file cannot be used as a whole
    │   ├── SourceNotFoundError    the file does not exist
    │   ├── EmptySourceError       the file has no data rows
    │   ├── MissingColumnError     a mapped column is absent from the file
    │   └── SourceFormatError      the format/encoding cannot be read
    ├── WarehouseError         the warehouse backend failed (driver errors wrapped with context)
    │   └── MemoryLimitError       a memory limit was hit (names the setting to raise)
    ├── DataQualityError       a data-quality threshold is breached (column, measured, allowed)
    ├── FeatureError           features cannot be computed (e.g. no customer before as_of)
    ├── SegmentationError      the segmentation cannot be fitted on the given data
    ├── DedupError             records cannot be matched (missing column, repeated record id)
    │   └── GuardError             a resolution refused by a guard (giant entity, degenerate EM)
    ├── IdentityResolutionError  golden records cannot be built or undone (ids, clusters, pairs)
    │   └── ReviewFileError        a reviewed calibration sample lacks a column or has a bad label
    ├── CLVError               the lifetime-value models cannot be fitted or applied to the data
    ├── PredictError           a predictive model cannot be trained or applied
    │   └── LeakageError           features would see events at or after the label cutoff
    ├── ExperimentError        an experiment cannot be assigned or analysed (arm, column, row)
    ├── BusError               a message bus (RabbitMQ, Kafka, Redis) is unreachable or refused
    ├── ActivationError        an audience or export cannot be built or delivered
    │   ├── RuleError              an audience rule is invalid: the path of the bad node and why
    │   └── ExportError            an export target refused or failed (after its retries)
    ├── LifecycleError         drift inputs, segment matching or a model version cannot be used
    └── OptionalDependencyError  an extra is needed: the message says which one to install

Messages say what was wrong and what is allowed, e.g.
``orders.csv row 1,204 column 'order_date': '31/02/2011' is not a date in format %d/%m/%Y``.
Personal data (names, e-mails, phones) never goes into an exception message: row numbers and
column names identify the culprit instead.
"""

from __future__ import annotations


class CibleError(Exception):
    """Base of every error raised on purpose by cible."""


class ConfigError(CibleError):
    """The configuration file is unreadable or invalid."""


class NotFoundError(CibleError):
    """A customer, segment or run asked for by its id does not exist (HTTP 404)."""


class ConflictError(CibleError):
    """The request is well formed but the current state refuses it, e.g. no published model
    or publishing through the API disabled (HTTP 409)."""


class InvalidInputError(CibleError):
    """One field of a request is invalid: ``field`` names it, ``reason`` says the rule (HTTP 422)."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


class SourceError(CibleError):
    """An input source cannot be used as a whole."""


class SourceNotFoundError(SourceError):
    """The input file does not exist."""


class EmptySourceError(SourceError):
    """The input file has no data rows."""


class MissingColumnError(SourceError):
    """A column named in the mapping is absent from the file."""


class SourceFormatError(SourceError):
    """The file cannot be parsed in the declared or detected format."""


class WarehouseError(CibleError):
    """The warehouse backend failed."""


class MemoryLimitError(WarehouseError):
    """DuckDB hit its memory limit: the message names the setting (``warehouse.memory_limit``,
    ``ingest.chunk_rows``) and its value."""


class DataQualityError(CibleError):
    """The data-quality report breaches a configured threshold (``quality.thresholds``).

    ``breaches`` holds one line per breach (source, column, measured rate, allowed rate); the
    report files (``quality.json``, ``quality.html``) are written before it is raised.
    """

    def __init__(
        self, message: str, breaches: tuple[str, ...] = (), kept_files: tuple[str, ...] = ()
    ) -> None:
        super().__init__(message)
        self.breaches = breaches
        self.kept_files = kept_files  # the report files, left in --out when the run stops


class FeatureError(CibleError):
    """Features cannot be computed."""


class SegmentationError(CibleError):
    """A segmentation cannot be fitted."""


class DedupError(CibleError):
    """Records cannot be de-duplicated as configured."""


class GuardError(DedupError):
    """A resolution is refused by ``dedup.guards``: one entity holds too many of the records, or
    the Fellegi-Sunter model trained by EM tells matches from non-matches by nothing."""


class IdentityResolutionError(CibleError):
    """Records, clusters and matching pairs cannot be resolved into golden records (or undone)."""


class ReviewFileError(IdentityResolutionError):
    """A reviewed calibration sample has a missing column, a bad score or a label other than 0/1."""


class CLVError(CibleError):
    """The customer-lifetime-value models (BG/NBD, Gamma-Gamma) cannot be fitted or applied."""


class PredictError(CibleError):
    """A predictive model cannot be trained or applied (e.g. a label with a single class)."""


class LeakageError(PredictError):
    """Features were asked for at a date after the cutoff: they would see the label window."""


class BusError(CibleError):
    """A message bus is unreachable or refused an operation (the URL is shown with its password
    masked, with the queue/topic/stream concerned)."""


class ActivationError(CibleError):
    """An audience or an export cannot be built or delivered."""


class RuleError(ActivationError):
    """An audience rule is invalid: ``path`` names the bad node (``audiences[2].rule.and[1]
    .between``), ``reason`` the rule it breaks."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason


class ExportError(ActivationError):
    """An export target refused the records or stayed unreachable after its retries."""


class LifecycleError(CibleError):
    """Drift detection, stable segment ids or the version registry refused their input (two
    histograms with different bins, an unknown model version, labels of different customers)."""


class OptionalDependencyError(CibleError, ImportError):
    """An optional dependency (an extra) is missing."""

    def __init__(self, package: str, extra: str, purpose: str) -> None:
        super().__init__(
            f"{purpose} needs the '{package}' package: install it with "
            f"`pip install 'cible[{extra}]'`"
        )
        self.package = package
        self.extra = extra


class ExperimentError(CibleError):
    """An experiment cannot be assigned or analysed: an arm, a column or a row is unusable."""
