"""Everything HTTP: session, auth headers, rate limit, retries, the cursor paginator."""

from typing import TYPE_CHECKING

from ..lazy import lazy_attributes

if TYPE_CHECKING:
    from .http import USER_AGENT, ApiClient, Page, RequestStats
    from .paginate import Paginator
    from .retry import Outcome, backoff_delay, classify

# Imported on first use: the command line reads .writes and .fields without loading aiohttp.
__getattr__ = lazy_attributes(
    __name__,
    {
        **dict.fromkeys(("USER_AGENT", "ApiClient", "Page", "RequestStats"), ".http"),
        "Paginator": ".paginate",
        **dict.fromkeys(("Outcome", "backoff_delay", "classify"), ".retry"),
    },
)

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
