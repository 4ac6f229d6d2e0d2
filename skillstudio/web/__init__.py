"""FastAPI glue shared by the learning API and serving: problem+json, security principals, dependencies.

Code outside the web layers (benchmarks, scripts) signs its callers in through what is exported here.
"""

from skillstudio.web.security import Principal, decode_access_token, issue_access_token

__all__ = ["Principal", "decode_access_token", "issue_access_token"]
