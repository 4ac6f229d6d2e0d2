"""Reading the OULAD CSV files (format: ``OULAD.names``) into typed pandas frames, quirks included.

The public files quote every field (``"AAA","2013J","11391"``), the copy some mirrors hold does not; the
CSV parser handles both. Empty fields become missing values (scores, registration days, exam dates,
``imd_band``); ``imd_band`` also comes as ``10-20`` without its ``%`` and is normalised. Values that are not
numbers where numbers belong stop the import with the file, line and column, rather than being dropped.
The click file is not read here: it is streamed (see :mod:`skillstudio.sources.oulad.clicks`).
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pandas as pd

# Column -> kind, per file. Only these columns are read; extra columns are ignored.
SCHEMAS: dict[str, dict[str, str]] = {
    "courses.csv": {"code_module": "str", "code_presentation": "str", "module_presentation_length": "int"},
    "assessments.csv": {
        "code_module": "str", "code_presentation": "str", "id_assessment": "int", "assessment_type": "str",
        "date": "int", "weight": "float",
    },
    "vle.csv": {
        "id_site": "int", "code_module": "str", "code_presentation": "str", "activity_type": "str",
        "week_from": "int", "week_to": "int",
    },
    "studentInfo.csv": {
        "code_module": "str", "code_presentation": "str", "id_student": "int", "gender": "str",
        "region": "str", "highest_education": "str", "imd_band": "str", "age_band": "str",
        "num_of_prev_attempts": "int", "studied_credits": "int", "disability": "str", "final_result": "str",
    },
    "studentRegistration.csv": {
        "code_module": "str", "code_presentation": "str", "id_student": "int", "date_registration": "int",
        "date_unregistration": "int",
    },
    "studentAssessment.csv": {
        "id_assessment": "int", "id_student": "int", "date_submitted": "int", "is_banked": "int",
        "score": "float",
    },
}  # fmt: skip
CLICK_FILE = "studentVle.csv"
# Columns that identify a row; a file with one of them empty is not OULAD.
KEYS = ("code_module", "code_presentation", "id_student", "id_assessment", "id_site")

_PRESENTATION = re.compile(r"^(\d{4})([BJ])$")
# OULAD.names: presentations start in February ("B") or October ("J"); day offsets count from the 1st.
START_MONTH = {"B": 2, "J": 10}


class OuladFormatError(ValueError):
    """The files are not in the OULAD format; the message names the file, line and what to fix."""


def presentation_start(code: str) -> date:
    """The first day of a presentation: ``2013B`` -> 2013-02-01, ``2014J`` -> 2014-10-01."""
    match = _PRESENTATION.match(code)
    if match is None:
        raise OuladFormatError(
            f"presentation code {code!r} is not a year followed by B (February start) or J (October start)"
        )
    return date(int(match.group(1)), START_MONTH[match.group(2)], 1)


def normalise_imd_band(value: str | None) -> str | None:
    """``10-20`` -> ``10-20%`` (the public files drop the ``%`` in that one band); empty -> ``None``."""
    if value is None:
        return None
    return value if value.endswith("%") else f"{value}%"


def read_table(directory: Path, name: str) -> pd.DataFrame:
    """One OULAD file as a frame with the columns of ``SCHEMAS[name]`` (ints as nullable ``Int64``)."""
    path = directory / name
    if not path.is_file():
        raise OuladFormatError(
            f"{path} is missing; an OULAD folder holds {', '.join(SCHEMAS)} (+ {CLICK_FILE})"
        )
    schema = SCHEMAS[name]
    frame = pd.read_csv(
        path, dtype=str, keep_default_na=False, na_values=[""], skipinitialspace=True, encoding="utf-8"
    )
    frame.columns = [str(column).strip() for column in frame.columns]
    missing = [column for column in schema if column not in frame.columns]
    if missing:
        raise OuladFormatError(f"{path} lacks the column(s) {', '.join(missing)} (see OULAD.names)")
    frame = frame[list(schema)].copy()
    for column, kind in schema.items():
        text = frame[column].str.strip().replace("", None)
        if kind == "str":
            frame[column] = text
            continue
        numbers = pd.to_numeric(text, errors="coerce")
        bad = numbers.isna() & text.notna()
        if kind == "int":
            bad |= numbers.notna() & (numbers % 1 != 0)
        if bad.any():
            line = int(bad.idxmax()) + 2  # +1 for the header, +1 because lines count from 1
            expected = "an integer" if kind == "int" else "a number"
            raise OuladFormatError(
                f"{path} line {line}: {column} is {text[bad].iloc[0]!r}, expected {expected}"
            )
        frame[column] = numbers.astype("Int64") if kind == "int" else numbers.astype("Float64")
    for column in KEYS:
        if column in frame.columns and frame[column].isna().any():
            line = int(frame[column].isna().idxmax()) + 2
            raise OuladFormatError(f"{path} line {line}: {column} is empty; every row needs it")
    return frame


def dedupe(frame: pd.DataFrame, key: list[str], what: str, skipped: dict[str, int]) -> pd.DataFrame:
    """Keep the last row of each key (a later line corrects an earlier one) and count the others."""
    repeated = frame.duplicated(key, keep="last")
    if repeated.any():
        skipped[f"{what}: repeated rows (the last one was kept)"] = int(repeated.sum())
    return frame[~repeated]
