"""Partitions, concurrency, checkpoints: the sync itself, with no SQL and no HTTP details."""

from .apply import apply_record, scope_of
from .ports import PageWrite, Partition, PartitionKey, Reject, Reporter, RunSummary, StorePort, WriteResult
from .sync import NullReporter, Syncer, SyncPlan
from .walk import PassPolicy

__all__ = [
    "NullReporter",
    "PageWrite",
    "Partition",
    "PartitionKey",
    "PassPolicy",
    "Reject",
    "Reporter",
    "RunSummary",
    "StorePort",
    "SyncPlan",
    "Syncer",
    "WriteResult",
    "apply_record",
    "scope_of",
]
