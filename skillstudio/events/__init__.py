"""Learner events: the contract, xAPI in and out, intake, the event store and its partitions, the quarantine.

What other packages use is imported from here; the modules behind it are:

- ``contract``: the vocabulary, the compact statement form and ``EventRow``, the one row shape of
  ``learner_events`` (``event_row`` builds one from keywords); ``xapi`` reads xAPI 1.0.3 statements into it,
  ``xapi_export`` writes stored events back as statements;
- ``intake``: a batch checked into rows and rejections, ``quarantine`` keeping the rejected as sent;
- the store's write paths, which all take ``EventRow``s and share their SQL: ``store.write_events`` in the
  caller's transaction (``recording.record_event`` for the API's own changes), ``writer`` for checked
  batches, alone or grouped into one commit, and ``bulk_load`` for numpy columns through binary COPY
  (``binary_copy``, ``bulk_staging``);
- ``partitions``: the monthly partitions of ``learner_events``.

docs/events.md is the reference.
"""

from skillstudio.events.binary_copy import SIGNATURE, TRAILER, Categorical, encode
from skillstudio.events.bulk_load import (
    EventLoader,
    column_types,
    copy_batches,
    copy_events,
    copy_rows,
    foreign_keys_checked_once,
)
from skillstudio.events.contract import (
    ACTIVITY_TYPES,
    COLUMN_TYPES,
    EVENT_COLUMNS,
    VERB_BY_IRI,
    VERBS,
    EventRow,
    ObjectType,
    Statement,
    StatementError,
    derive_event_id,
    event_row,
    statement_to_row,
)
from skillstudio.events.intake import (
    BATCH,
    AnyStatement,
    BatchTooLarge,
    CheckedBatch,
    FieldErrors,
    InvalidBatch,
    Rejected,
    check_statements,
    read_batch,
)
from skillstudio.events.iso_duration import format_duration, parse_duration
from skillstudio.events.partitions import (
    DEFAULT_PARTITION,
    Age,
    PartitionInfo,
    add_months,
    attached_months,
    closed_before,
    ensure_month_partitions,
    ensure_months_ahead,
    list_partitions,
    month_bounds,
    month_start,
    months_in_default,
    parse_age,
    partition_name,
)
from skillstudio.events.quarantine import quarantine, storable, unwrap
from skillstudio.events.recording import record_event
from skillstudio.events.store import FEW_ROWS, write_events
from skillstudio.events.writer import (
    UNAVAILABLE,
    GroupWriter,
    QuarantinedStatement,
    StoredBatch,
    store_batches,
)
from skillstudio.events.xapi import XapiStatement, xapi_row
from skillstudio.events.xapi_export import XAPI_VERSION, to_xapi

__all__ = [
    "ACTIVITY_TYPES",
    "BATCH",
    "COLUMN_TYPES",
    "DEFAULT_PARTITION",
    "EVENT_COLUMNS",
    "FEW_ROWS",
    "SIGNATURE",
    "TRAILER",
    "UNAVAILABLE",
    "VERBS",
    "VERB_BY_IRI",
    "XAPI_VERSION",
    "Age",
    "AnyStatement",
    "BatchTooLarge",
    "Categorical",
    "CheckedBatch",
    "EventLoader",
    "EventRow",
    "FieldErrors",
    "GroupWriter",
    "InvalidBatch",
    "ObjectType",
    "PartitionInfo",
    "QuarantinedStatement",
    "Rejected",
    "Statement",
    "StatementError",
    "StoredBatch",
    "XapiStatement",
    "add_months",
    "attached_months",
    "check_statements",
    "closed_before",
    "column_types",
    "copy_batches",
    "copy_events",
    "copy_rows",
    "derive_event_id",
    "encode",
    "ensure_month_partitions",
    "ensure_months_ahead",
    "event_row",
    "foreign_keys_checked_once",
    "format_duration",
    "list_partitions",
    "month_bounds",
    "month_start",
    "months_in_default",
    "parse_age",
    "parse_duration",
    "partition_name",
    "quarantine",
    "read_batch",
    "record_event",
    "statement_to_row",
    "storable",
    "store_batches",
    "to_xapi",
    "unwrap",
    "write_events",
    "xapi_row",
]
