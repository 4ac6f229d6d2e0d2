"""Importers of real data sets nobody on the project wrote: OULAD and generic course catalogues.

Every row an importer writes has a deterministic id (a uuid5 of the source's own key, see
:func:`skillstudio.sources.common.stable_id`) and is written with an upsert that skips unchanged rows, so
running an import twice on the same files changes nothing.
"""
