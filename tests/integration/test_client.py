"""The HTTP client against the sandbox: both URL shapes, errors, retries, pagination."""

from __future__ import annotations

import asyncio
import re

import pytest

from cfsync.client import USER_AGENT, ApiClient, Paginator
from cfsync.client.adaptive import AdaptiveRate
from cfsync.client.budget import Budget
from cfsync.config import parse_config
from cfsync.errors import (
    ApiUnavailableError,
    AuthError,
    BadRequestError,
    NotFoundError,
    RetriableApiError,
)


def account(url: str, key: str, **api):
    settings = {"mode": "direct", "base_url": url, "api_key_env": "K", "requests_per_second": 1000, **api}
    return parse_config({"api": settings}, {"K": key}).api


class Sleeps:
    """A fake clock for backoff and the budget's pauses: records the delays instead of waiting them."""

    def __init__(self):
        self.delays: list[float] = []
        self.now = 0.0

    async def __call__(self, delay: float) -> None:
        self.delays.append(delay)
        self.now += delay

    def clock(self) -> float:
        return self.now

    def budget(self, account) -> Budget:
        rate = AdaptiveRate(ceiling=account.requests_per_second, clock=self.clock, rand=lambda: 1.0)
        return Budget(rate, 8)


async def walk(client: ApiClient, path: str) -> list[dict]:
    items, after, paginator = [], None, Paginator()
    while True:
        page = await client.list_page(path, after=after)
        items += page.items
        after = paginator.advance(len(page.items), page.pagination_next)
        if after is None:
            return items


async def test_direct_mode_walks_a_list(sandbox, sandbox_server):
    ws = sandbox.workspace_ids(0)[0]
    async with ApiClient(account(sandbox_server.url, sandbox.api_token(0))) as client:
        contacts = await walk(client, f"/workspaces/{ws}/contacts")
    assert contacts == sandbox.records("contacts", workspace_id=ws)
    assert len(contacts) > 40  # several pages
    assert client.stats.requests == len(contacts) // 20 + 1
    assert USER_AGENT.startswith("cfsync/0.1.0 aiohttp/")
    assert "http" not in USER_AGENT.replace("aiohttp", ""), "no URL in it: none would lead anywhere"


@pytest.mark.parametrize("which", [0, 1])
async def test_maton_connection_picks_the_account(sandbox, sandbox_server, which):
    acc = account(
        f"{sandbox_server.url}/clickfunnels",
        sandbox.maton_key,
        mode="maton",
        connection=sandbox.connection_ids[which],
    )
    async with ApiClient(acc) as client:
        teams, _ = await client.request("GET", "/teams")
    assert [t["id"] for t in teams] == sandbox.team_ids(which)
    assert sandbox.requests[-1].connection_id == sandbox.connection_ids[which]
    assert sandbox.requests[-1].mode == "maton"


async def test_maton_without_connection_uses_the_oldest(sandbox, sandbox_server):
    acc = account(f"{sandbox_server.url}/clickfunnels", sandbox.maton_key, mode="maton")
    async with ApiClient(acc) as client:
        teams, _ = await client.request("GET", "/teams")
    assert [t["id"] for t in teams] == sandbox.team_ids(0)


async def test_unknown_maton_connection_is_a_400_with_the_gateway_message(sandbox, sandbox_server):
    acc = account(f"{sandbox_server.url}/clickfunnels", sandbox.maton_key, mode="maton", connection="nope")
    async with ApiClient(acc) as client:
        with pytest.raises(BadRequestError) as info:
            await client.request("GET", "/teams")
    assert info.value.status == 400
    assert client.stats.retries == 0


async def test_bad_key_is_an_auth_error_without_the_key(sandbox, sandbox_server):
    async with ApiClient(account(sandbox_server.url, "not-a-real-key")) as client:
        with pytest.raises(AuthError, match="API key missing or invalid") as info:
            await client.request("GET", "/teams")
    assert "not-a-real-key" not in str(info.value)
    assert "not-a-real-key" not in repr(client)
    assert info.value.exit_code == 3


async def test_not_found_carries_the_api_message(sandbox, sandbox_server):
    async with ApiClient(account(sandbox_server.url, sandbox.api_token(0))) as client:
        with pytest.raises(NotFoundError, match="Not found: Record missing"):
            await client.request("GET", "/contacts/1")


async def test_retries_back_off_exponentially_then_succeed(sandbox, sandbox_server):
    sleeps = Sleeps()
    sandbox.faults.fail_next("503", times=3, path="/teams")
    acc = account(sandbox_server.url, sandbox.api_token(0), max_retries=5)
    async with ApiClient(acc, sleep=sleeps, rand=lambda: 1.0, budget=sleeps.budget(acc)) as client:
        teams, _ = await client.request("GET", "/teams")
    assert teams
    assert sleeps.delays == [1.0, 2.0, 4.0]
    assert (client.stats.requests, client.stats.retries) == (4, 3)


async def test_a_request_that_keeps_failing_gives_up_after_max_retries(sandbox, sandbox_server):
    sandbox.faults.fail_next("502", times=10, path="/teams")
    acc = account(sandbox_server.url, sandbox.api_token(0), max_retries=2)
    async with ApiClient(acc, sleep=Sleeps()) as client:
        ws = sandbox.workspace_ids(0)[0]
        await client.request("GET", f"/workspaces/{ws}/contacts")  # the API itself works
        with pytest.raises(RetriableApiError, match="gave up after 3 attempts, last: HTTP 502") as info:
            await client.request("GET", "/teams")
        assert not isinstance(info.value, ApiUnavailableError)
        await client.request("GET", f"/workspaces/{ws}/contacts")  # and goes on working
    assert client.stats.requests == 5


async def test_an_api_that_answers_only_failures_ends_every_request_with_one_cause(sandbox, sandbox_server):
    sandbox.faults.fail_next("502", times=100)
    acc = account(sandbox_server.url, sandbox.api_token(0), max_retries=2)
    ws = sandbox.workspace_ids(0)[0]
    async with ApiClient(acc, sleep=Sleeps()) as client:
        calls = [client.request("GET", "/teams"), client.request("GET", f"/workspaces/{ws}/contacts")]
        errors = await asyncio.gather(*calls, return_exceptions=True)
        assert all(isinstance(e, ApiUnavailableError) for e in errors)
        assert str(errors[0]) == str(errors[1]), "one cause, said once for all"
        pattern = r"^HTTP 502: nothing has succeeded for \d+ s \(gave up after 3 attempts\)$"
        assert re.match(pattern, str(errors[0]))
        sent = client.stats.requests
        with pytest.raises(ApiUnavailableError):
            await client.request("GET", "/users")
    assert client.stats.requests == sent, "after the outage, other requests fail without being sent"


async def test_a_refused_connection_names_host_and_port(unused_tcp_port):
    acc = account(f"http://127.0.0.1:{unused_tcp_port}", "k", max_retries=2)
    async with ApiClient(acc, sleep=Sleeps()) as client:
        errors = await asyncio.gather(
            client.request("GET", "/teams"), client.request("GET", "/users"), return_exceptions=True
        )
    assert all(isinstance(e, ApiUnavailableError) for e in errors)
    assert str(errors[0]).startswith(f"connection refused by 127.0.0.1:{unused_tcp_port}: ")


async def test_a_stalled_request_times_out_and_is_retried(sandbox, sandbox_server):
    sandbox.faults.fail_next("stall", times=1, path="/teams", stall_seconds=5)
    acc = account(sandbox_server.url, sandbox.api_token(0), timeout_seconds=0.3)
    async with ApiClient(acc, sleep=Sleeps()) as client:
        teams, _ = await client.request("GET", "/teams")
    assert teams
    assert client.stats.retries == 1


async def test_a_stalled_api_ends_by_the_timeout_and_says_so(sandbox, sandbox_server):
    sandbox.faults.fail_next("stall", times=10, stall_seconds=5)
    acc = account(sandbox_server.url, sandbox.api_token(0), timeout_seconds=0.2, max_retries=2)
    async with ApiClient(acc, sleep=Sleeps()) as client:
        errors = await asyncio.gather(
            client.request("GET", "/teams"), client.request("GET", "/users"), return_exceptions=True
        )
    assert all(isinstance(e, ApiUnavailableError) for e in errors)
    assert str(errors[0]).startswith("no answer after 0.2 s (timeout_seconds): nothing has succeeded")


async def test_a_429_is_retried_on_its_own_and_slows_the_pace_without_holding_anyone(sandbox, sandbox_server):
    sandbox.faults.fail_next("429", times=2, path="/teams")
    sleeps = Sleeps()
    acc = account(sandbox_server.url, sandbox.api_token(0), requests_per_second=20)
    budget = sleeps.budget(acc)
    async with ApiClient(acc, sleep=sleeps, rand=lambda: 1.0, budget=budget) as client:
        await client.request("GET", "/teams")
    assert client.stats.rate_limited == 2
    assert budget.rate.cuts == 1, "two 429s and no background known: a trial cut"
    assert 10 <= budget.rate.rate <= 16
    assert budget.rate.holds == 0
    assert sleeps.delays == [0.5, 1.0], "the request's own backoff"


async def test_retry_after_from_a_gateway_is_honoured(sandbox, sandbox_server):
    sandbox.faults.fail_next("503", times=1, path="/teams")
    sleeps = Sleeps()
    acc = account(sandbox_server.url, sandbox.api_token(0))
    budget = sleeps.budget(acc)
    budget.advise(7.0)  # what a 503 with `Retry-After: 7` does
    async with ApiClient(acc, sleep=sleeps, budget=budget) as client:
        await client.request("GET", "/teams")
    assert sum(sleeps.delays[:7]) == pytest.approx(7.0)


async def test_an_unknown_limit_is_found_and_kept_under(sandbox, sandbox_server):
    """The sandbox allows 20 req/s per client (bursts of 5, 429 without Retry-After); cfsync is told 200."""
    sandbox.faults.rate_limit(20, burst=5)
    acc = account(sandbox_server.url, sandbox.api_token(0), requests_per_second=200, max_in_flight=4)
    ws = sandbox.workspace_ids(0)[0]
    async with ApiClient(acc) as client:
        await asyncio.gather(*(client.request("GET", f"/workspaces/{ws}/contacts") for _ in range(120)))
    rate = client.budget.rate
    assert client.stats.rate_limited > 0, "the limit was hit"
    assert rate.cuts >= 1
    assert rate.rate < 40, "the pace came down to the limit's neighbourhood"
    assert client.stats.rate_limited < 0.25 * client.stats.requests, "and stayed there"
