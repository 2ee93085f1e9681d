"""Everything HTTP: session, auth headers, rate limit, retries, the cursor paginator."""

from .http import USER_AGENT, ApiClient, Page, RequestStats
from .paginate import Paginator
from .retry import Outcome, backoff_delay, classify

__all__ = [
    "USER_AGENT",
    "ApiClient",
    "Outcome",
    "Page",
    "Paginator",
    "RequestStats",
    "backoff_delay",
    "classify",
]
