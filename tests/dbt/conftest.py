"""The warehouses of the mart tests live in the ``tests.warehouses`` plugin, shared with the analytics API's
tests; their helpers are re-exported here for the modules that import them from this package."""

from tests.warehouses import GENERATED, INSTRUCTORS, OULAD_SLICE, Warehouse, dbt_build

__all__ = ["GENERATED", "INSTRUCTORS", "OULAD_SLICE", "Warehouse", "dbt_build"]
