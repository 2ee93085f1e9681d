"""The API's special operations, beyond creating, changing and deleting a record: each a few rules on top
of `Writes` (an upsert matching on email, a GDPR erase, archiving, a fulfillment's cancel, a page's
products), and how a page's body names its funnel and products.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from cfsync.sandbox.ids import stable_hex, stable_int
from cfsync.sandbox.state import SandboxError
from cfsync.sandbox.values import slug

if TYPE_CHECKING:
    from cfsync.sandbox.writes import Writes

__all__ = ["Actions", "page_changes"]

Record = dict[str, Any]

# Personal data a GDPR erase wipes.
_PERSONAL = (
    "email_address",
    "first_name",
    "last_name",
    "phone_number",
    "time_zone",
    "fb_url",
    "twitter_url",
    "instagram_url",
    "linkedin_url",
    "website_url",
)


class Actions:
    def __init__(self, writes: Writes) -> None:
        self.w = writes
        self.s = writes.s

    def upsert_contact(
        self, workspace_id: int, body: Mapping[str, Any], allowed: Mapping[str, Any] | None
    ) -> tuple[Record, bool]:
        """Match on email: update (null and empty values ignored) or create. True when created."""
        email = body.get("email_address")
        if not isinstance(email, str) or not email.strip():
            raise SandboxError(422, "Email address can't be blank")
        existing = self.s.find_contact(workspace_id, email)
        if existing is None:
            return self.w.create("contacts", workspace_id, body, allowed, skip_empty=True), True
        return self.w.update("contacts", existing, body, allowed, skip_empty=True), False

    def gdpr_destroy(self, contact_id: int) -> None:
        s = self.s
        entry = s.touch("contacts", contact_id)
        for key in _PERSONAL:
            entry.rec[key] = None
        visits = s.catalog.spec("contacts").fields.get("visits")
        entry.rec.update(
            custom_attributes={},
            avatar_image={},
            visits=dict.fromkeys(visits) if isinstance(visits, dict) else {},
            email_engagement={},
            email_suppression_reason=None,
        )
        entry.hidden = True
        s.stamp(entry)
        self.w.event("contacts", contact_id, "updated", s.serve("contacts", copy.deepcopy(entry.rec)))

    def set_archived(self, product_id: int, archived: bool) -> Record:
        current = self.s.base("products", product_id)
        if current is None:
            raise SandboxError(404, "Not found: Record missing")
        if bool(current.get("archived")) == archived:
            raise SandboxError(409, f"Product is already {'archived' if archived else 'unarchived'}")
        return self.w.update("products", product_id, {"archived": archived}, {"archived": "boolean"})

    def cancel_fulfillment(self, fulfillment_id: int) -> Record:
        current = self.s.base("fulfillments", fulfillment_id)
        if current is None:
            raise SandboxError(404, "Not found: Record missing")
        status = current.get("status")
        if status == "cancelled":
            raise SandboxError(409, "Fulfillment is already cancelled")
        if status != "fulfilled":
            raise SandboxError(409, f"Fulfillment cannot be cancelled when {status}")
        return self.w.update("fulfillments", fulfillment_id, {"status": "cancelled"}, {"status": "string"})

    def archive(self, name: str, id_: int) -> None:
        """What deleting an email topic does: kept (and still named by broadcasts), but out of the list
        unless it is asked for archived records too. Archiving it again changes nothing."""
        entry = self.s.touch(name, id_)
        if entry.archived:
            return
        entry.archived = True
        self.s.stamp(entry)
        self.w.event(name, id_, "updated", self.s.serve(name, copy.deepcopy(entry.rec)))

    def remove_page_products(self, page_id: int, product_ids: list[str]) -> None:
        """Take products off a page's checkout step (`DELETE /pages/{id}/products`)."""
        entry = self.s.touch("pages", page_id)
        step = entry.rec.get("show_page_step")
        if isinstance(step, dict) and isinstance(step.get("products"), list):
            step["products"] = [p for p in step["products"] if str(p.get("id")) not in product_ids]
        self.s.stamp(entry)
        self.w.event("pages", page_id, "updated", self.s.serve("pages", copy.deepcopy(entry.rec)))


def page_changes(
    writes: Writes, own: list[tuple[str, int]], id_: int | None, changes: dict[str, Any]
) -> None:
    """A page's body names its funnel (`funnel.funnel_id`) and its checkout's products
    (`show_page_step.product_ids`): the record holds the funnel, and the funnel step with the products."""
    s = writes.s
    current = (s.base("pages", id_) if id_ is not None else None) or {}
    step = dict(current.get("show_page_step") or {})
    products = changes.pop("show_page_step", None)
    had, asked = "funnel" in changes, changes.pop("funnel", None)
    if isinstance(asked, dict) and asked.get("funnel_id") not in (None, ""):
        raw = str(asked["funnel_id"])
        funnel = int(raw) if raw.isdigit() else -1
        if not writes.reachable(own, "funnels", funnel):
            raise SandboxError(422, "Funnel must exist")
        found = s.base("funnels", funnel) or {}
        path = found.get("current_path") or "/funnel"
        name = changes.get("name") or current.get("name") or "page"
        domain = s.base("domains", found["domain_id"]) if isinstance(found.get("domain_id"), int) else None
        workspace = s.base("workspaces", dict(own)["workspaces"]) or {}
        host = (domain or {}).get("name") or f"{workspace.get('subdomain')}.myclickfunnels.com"
        changes.update(
            funnel={"id": funnel}, type="funnel_page", url=f"https://{host}{path}/{slug(str(name))}"
        )
        step = {
            "current_path": f"{path}/{slug(str(name))}",
            "id": step.get("id") or stable_int(s.ids.seed, "step", funnel, name) % 10**9,
            "name": step.get("name") or "Step",
            "products": step.get("products") or [],
            "public_id": step.get("public_id") or stable_hex(s.ids.seed, "step", funnel, name, size=4),
        }
        changes["show_page_step"] = step
    elif had and not (isinstance(asked, dict) and "funnel_id" in asked):
        changes["funnel"] = asked  # a record's own shape (the Python helpers): `{"id": ...}` or null
    if isinstance(products, dict) and "product_ids" in products:
        chosen = []
        for raw in products.get("product_ids") or ():
            product = int(raw) if str(raw).isdigit() else -1
            if not writes.reachable(own, "products", product):
                raise SandboxError(422, "Product must exist")
            found = s.base("products", product) or {}
            chosen.append({"id": product, "name": found.get("name"), "public_id": found.get("public_id")})
        changes["show_page_step"] = {**step, "products": chosen} if step else None
    elif products is not None:
        changes["show_page_step"] = products
