"""One list as the catalog describes it, in front of the API client: the query every request of it carries
(`include_archived=true`, the `expand[]` a config asks for) and, for a list that answers one object per
parent rather than an array (a price's change options), that object as a one-record page."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from multidict import MultiDict

from ..client.http import Page
from ..client.paginate import ListPage
from ..errors import ApiProtocolError
from ..resources.catalog import Resource
from .ports import ListSource

__all__ = ["ResourceSource", "fixed_query"]


def fixed_query(resource: Resource, expand: Sequence[str] = ()) -> tuple[tuple[str, str], ...]:
    """What every request of the list carries, in a stable order (it is compared between runs)."""
    return (*resource.params, *(("expand[]", name) for name in sorted(set(expand))))


@dataclass(frozen=True)
class ResourceSource:
    client: Any  # the ApiClient (its `request` for object answers, `list_page` for arrays)
    resource: Resource
    parent_id: int | None
    query: tuple[tuple[str, str], ...] = ()

    async def list_page(
        self, path: str, *, after: str | None = None, params: Mapping[str, str] | None = None
    ) -> ListPage:
        query: MultiDict[str] = MultiDict(self.query)
        query.extend(params or {})
        if not self.resource.object_answer:
            lister: ListSource = self.client
            return await lister.list_page(path, after=after if self.resource.paged else None, params=query)
        data, _ = await self.client.request("GET", path, params=query)
        envelope = self.resource.envelope
        if envelope and isinstance(data, dict) and set(data) == {envelope}:
            data = data[envelope]
        if not isinstance(data, dict):
            what = f"{self.resource.name} answered {type(data).__name__}, not a JSON object"
            raise ApiProtocolError(what, method="GET", url=path)
        # The answer describes its parent (a price's options): one record, identified by the parent's id.
        return Page(items=[{**data, "id": self.parent_id}], pagination_next=None)
