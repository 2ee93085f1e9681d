"""The Maton gateway's control API: the ClickFunnels connections behind one Maton key."""

from __future__ import annotations

from typing import Any

from ..config import AccountConfig
from ..errors import ApiProtocolError, ConfigError, NotFoundError
from .http import ApiClient

__all__ = ["MatonControl"]

APP = "clickfunnels"


class MatonControl:
    """`async with MatonControl(account) as maton:` then list/create/get/delete connections."""

    def __init__(self, account: AccountConfig) -> None:
        if account.mode != "maton":
            raise ConfigError(f"account {account.name!r} is in direct mode: connections are a Maton feature")
        self._account = account
        self._client = ApiClient(account, api_root=account.control_url)

    async def __aenter__(self) -> MatonControl:
        await self._client.__aenter__()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self._client.close()

    async def list(self, status: str | None = "ACTIVE") -> list[dict[str, Any]]:
        """Connections of the ClickFunnels app, oldest first."""
        params = {"app": APP, **({"status": status} if status else {})}
        try:
            body, _ = await self._client.request("GET", "/connections", params=params)
        except NotFoundError:
            raise self._no_control() from None
        connections = body.get("connections") if isinstance(body, dict) else None
        if not isinstance(connections, list):
            raise ApiProtocolError("the Maton control API answered without a connections list")
        return sorted(connections, key=lambda c: str(c.get("creation_time", "")))

    async def create(self) -> dict[str, Any]:
        """A new pending connection; its `url` is where a browser finishes the ClickFunnels OAuth.

        Not resent after a timeout or a 5xx: the gateway may have made it, and a second one would dangle.
        """
        try:
            answer = await self._client.call("POST", "/connections", body={"app": APP}, repeatable=False)
        except NotFoundError:
            raise self._no_control() from None
        return self._connection(answer.data, "POST /connections")

    def _no_control(self) -> ConfigError:
        return ConfigError(
            f"the Maton control host {self._account.control_url} has no /connections (HTTP 404): set "
            f"control_url of account {self._account.name!r} to the host Maton documents for it "
            "(https://api.maton.ai or https://ctrl.maton.ai)"
        )

    async def get(self, connection_id: str) -> dict[str, Any]:
        return await self._one("GET", f"/connections/{connection_id}")

    async def delete(self, connection_id: str) -> None:
        await self._client.request("DELETE", f"/connections/{connection_id}")

    async def _one(self, method: str, path: str) -> dict[str, Any]:
        answer, _ = await self._client.request(method, path)
        return self._connection(answer, f"{method} {path}")

    @staticmethod
    def _connection(answer: Any, what: str) -> dict[str, Any]:
        if isinstance(answer, dict) and isinstance(answer.get("connection"), dict):
            answer = answer["connection"]
        if not isinstance(answer, dict) or "connection_id" not in answer:
            raise ApiProtocolError(f"the Maton control API answered {what} without a connection")
        return answer
