"""Every change to the sandbox, from the write endpoints or the Python helpers, and its event.

Bodies are checked against the facts' body schema of the operation (unknown keys dropped like Rails'
strong parameters, wrong types 422) and coerced to the record schema's types.
"""

from __future__ import annotations

import copy
import posixpath
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlsplit

from cfsync.sandbox.actions import page_changes
from cfsync.sandbox.catalog import ACCOUNT
from cfsync.sandbox.ids import stable_hex
from cfsync.sandbox.state import Entry, SandboxError, State
from cfsync.sandbox.stats import place_order
from cfsync.sandbox.values import field_type

__all__ = ["PROTECTED", "Writes"]

Record = dict[str, Any]

# Set by the sandbox alone, never by a body or a helper.
PROTECTED = frozenset({"id", "public_id", "created_at", "updated_at"})
# Body fields that must be present on create: the record is meaningless without them.
_REQUIRED_NAMES = frozenset({"name", "title", "label", "url", "upload_source_url"})


def _human(key: str) -> str:
    return key.removesuffix("_id").replace("_", " ").capitalize()


def _check(key: str, value: Any, typ: Any) -> Any:
    """`value` if it fits the body type `typ` (light coercion as Rails does), else 422."""
    if value is None:
        return None
    if isinstance(typ, dict | list):
        # Record schemas (what the Python helpers and the control API write) have objects and arrays of
        # objects, not just type strings.
        if isinstance(value, type(typ)):
            return value
        raise SandboxError(422, f"{_human(key)} is invalid")
    t = field_type(typ)
    ok = True
    if t.base == "integer":
        if isinstance(value, str) and value.strip().lstrip("-").isdigit():
            value = int(value)
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif t.base == "number":
        ok = isinstance(value, int | float) and not isinstance(value, bool)
    elif t.base == "boolean":
        value = {"true": True, "false": False}.get(value, value) if isinstance(value, str) else value
        ok = isinstance(value, bool)
    elif t.base == "string":
        value = str(value) if isinstance(value, int | float) and not isinstance(value, bool) else value
        ok = isinstance(value, str)
    elif t.base.endswith("[]"):
        ok = isinstance(value, list)
    elif t.base == "object":
        ok = isinstance(value, dict)
    if not ok:
        raise SandboxError(422, f"{_human(key)} is invalid")
    if t.enum and value not in t.enum:
        raise SandboxError(422, f"{_human(key)} is not included in the list")
    return value


def _coerce(value: Any, typ: Any, current: Any) -> Any:
    """A checked body value in the record schema's type (`out_of_stock_sales` is a boolean in bodies,
    a string in records)."""
    if value is None:
        return None
    if isinstance(typ, dict):
        if not typ or not isinstance(value, dict):
            return value
        old = current if isinstance(current, dict) else {}
        return {k: value.get(k, old.get(k)) for k in typ}
    if isinstance(typ, list):
        return value if isinstance(value, list) else current
    base = field_type(typ).base
    if base == "string" and not isinstance(value, str):
        return ("true" if value else "false") if isinstance(value, bool) else str(value)
    if base == "integer" and isinstance(value, str) and value.lstrip("-").isdigit():
        return int(value)
    if base == "boolean" and isinstance(value, str):
        return value == "true"
    return value


class Writes:
    def __init__(self, state: State) -> None:
        self.s = state
        self.webhook_secrets: dict[int, str] = {}
        # Told of every event logged, with its workspace: the outgoing webhooks (deliveries.py).
        self.on_event: Callable[[int, Record], None] | None = None

    # -- generic --------------------------------------------------------------------------------------

    def create(
        self,
        name: str,
        parent_id: int,
        body: Mapping[str, Any],
        allowed: Mapping[str, Any] | None,
        *,
        skip_empty: bool = False,
        required_refs: bool = True,
    ) -> Record:
        """A new record under `parent_id`. `allowed` is the operation's body schema (None: any field of
        the record, as the Python helpers write); with `required_refs`, a reference it types as not null
        must be given."""
        s = self.s
        spec = self._stored(name)
        if spec.parent == ACCOUNT:
            own = [(ACCOUNT, parent_id)]
        elif s.exists(spec.parent, parent_id):
            own = [(spec.parent, parent_id), *(s.ancestry(spec.parent, parent_id) or [])]
        else:
            raise SandboxError(404, "Not found: Record missing")
        if allowed is not None:
            for key, typ in allowed.items():
                if (
                    body.get(key) in (None, "")
                    and isinstance(typ, str)
                    and (
                        (typ == "string" and key in _REQUIRED_NAMES)
                        or (
                            required_refs
                            and typ == "integer"
                            and key.endswith("_id")
                            and s.gen.ref_target(name, key)
                        )
                    )
                ):
                    raise SandboxError(422, f"{_human(key)} can't be blank")
        changes = self._changes(name, own, None, body, self._allowed(name, allowed), skip_empty=skip_empty)
        now_ms = s.now_ms()
        entry = s.insert(name, spec.parent, parent_id, now_ms)
        extras = self._assign(entry, changes)
        s.stamp(entry, now_ms)
        extra_out = self._after_write(entry, extras, created=True)
        self._touch_parent(entry)
        record = s.extras.apply(name, s.serve(name, copy.deepcopy(entry.rec)))
        self.event(name, entry.rec["id"], "created", record)
        return {**record, **extra_out}

    def update(
        self,
        name: str,
        id_: int,
        body: Mapping[str, Any],
        allowed: Mapping[str, Any] | None,
        *,
        skip_empty: bool = False,
    ) -> Record:
        s = self.s
        self._stored(name)
        ancestry = s.ancestry(name, id_)
        if ancestry is None or not s.exists(name, id_):
            raise SandboxError(404, "Not found: Record missing")
        changes = self._changes(
            name, ancestry, id_, body, self._allowed(name, allowed), skip_empty=skip_empty
        )
        entry = s.touch(name, id_)
        extras = self._assign(entry, changes)
        s.stamp(entry)
        self._after_write(entry, extras, created=False)
        record = s.extras.apply(name, s.serve(name, copy.deepcopy(entry.rec)))
        self.event(name, id_, "updated", record)
        return record

    def delete(self, name: str, id_: int) -> None:
        s = self.s
        self._stored(name)
        record = s.get(name, id_)
        entry = s.touch(name, id_)
        # The tombstone keeps its sort key: a page cursor pointing at it still continues where it was.
        entry.deleted = True
        s.index_email(entry)
        self._touch_parent(entry)
        self.event(name, id_, "deleted", record or entry.rec)

    def fields_naming(self, name: str, target: str) -> list[str]:
        """The fields of `name` that hold the id of a `target` record (a price's `variant_id`)."""
        fields = self.s.catalog.spec(name).fields
        return [f for f in fields if f.endswith("_id") and self.s.gen.ref_target(name, f) == target]

    def _stored(self, name: str) -> Any:
        spec = self.s.catalog.spec(name)
        if spec.computed:
            raise ValueError(f"{name} are worked out from other records (computed.py): change those instead")
        return spec

    def _allowed(self, name: str, allowed: Mapping[str, Any] | None) -> Mapping[str, Any]:
        if allowed is not None:
            return allowed
        gen = self.s.gen
        # Embedded copies are filled in when served; one named by its own id (`primary_contact`) is settable.
        derived = {d.field for d in gen.derived(name) if d.kind != "embed" or d.id_field is not None}
        above = set(self.s.catalog.chain_types(name))
        return {
            k: v
            for k, v in self.s.catalog.spec(name).fields.items()
            if k not in PROTECTED and k not in derived and gen.ref_target(name, k) not in above
        }

    def _changes(
        self,
        name: str,
        own: list[tuple[str, int]],
        id_: int | None,
        body: Mapping[str, Any],
        allowed: Mapping[str, Any],
        *,
        skip_empty: bool,
    ) -> dict[str, Any]:
        """The checked changes a body asks for; nothing is written until all of them pass."""
        s = self.s
        changes: dict[str, Any] = {}
        for key, raw in body.items():
            if key not in allowed or key in PROTECTED:
                continue  # unpermitted parameters are dropped silently
            if skip_empty and raw in (None, "", [], {}):
                continue
            value = _check(key, raw, allowed[key])
            target = s.gen.ref_target(name, key) if key.endswith("_id") else None
            if target and value is not None:
                ref = int(value) if str(value).isdigit() else -1
                if not self.reachable(own, target, ref):
                    raise SandboxError(422, f"{_human(key)} must exist")
            changes[key] = value
        if name == "pages":
            page_changes(self, own, id_, changes)
        if name == "contacts":
            workspace = dict(own)["workspaces"]
            email = changes.get("email_address")
            if email:
                holder = s.find_contact(workspace, email)
                if holder is not None and holder != id_:
                    raise SandboxError(422, "Email address has already been taken")
            tag_resource = s.gen.ref_target("contacts_applied_tags", "tag_id") or "contacts_tags"
            for tag_id in changes.get("tag_ids") or ():
                if not (
                    isinstance(tag_id, int)
                    and s.exists(tag_resource, tag_id)
                    and s.workspace_of(tag_resource, tag_id) == workspace
                ):
                    raise SandboxError(422, "Tag must exist")
        return changes

    def reachable(self, own: list[tuple[str, int]], target: str, ref: int) -> bool:
        """A reference must name a live record of the same account (and workspace, when both have one)."""
        s = self.s
        if not s.exists(target, ref):
            return False
        mine = dict(own)
        if target == "workspaces":
            return mine.get("workspaces") == ref
        theirs = dict(s.ancestry(target, ref) or [])
        return all(mine[k] == theirs[k] for k in ("workspaces", ACCOUNT) if k in mine and k in theirs)

    def _assign(self, entry: Entry, changes: Mapping[str, Any]) -> dict[str, Any]:
        """Set the record's fields; return the changes that are not record fields (`tag_ids`...)."""
        fields = self.s.catalog.spec(entry.resource).fields
        extras = {}
        for key, value in changes.items():
            if key in fields:
                if key == "custom_attributes" and isinstance(value, dict):
                    value = {**(entry.rec.get(key) or {}), **value}
                if changes.get(key + "_mode") == "append" and isinstance(value, str):
                    value = (entry.rec.get(key) or "") + value  # head_code_mode: append, not replace
                entry.rec[key] = _coerce(value, fields[key], entry.rec.get(key))
            else:
                extras[key] = value
        return extras

    def _after_write(self, entry: Entry, extras: Mapping[str, Any], *, created: bool) -> dict[str, Any]:
        """What a write does beyond setting fields; returns fields answered only this once."""
        s = self.s
        name, rec = entry.resource, entry.rec
        if name == "contacts":
            s.index_email(entry)
            if extras.get("tag_ids") is not None:
                self._set_tags(entry, list(extras["tag_ids"]))
        if name == "orders":
            place_order(s, rec)
        if name == "images" and extras.get("upload_source_url"):
            source = str(extras["upload_source_url"])
            filename = posixpath.basename(urlsplit(source).path) or "image"
            folder = stable_hex(s.ids.seed, rec["id"], source, size=8)
            rec["url"] = f"https://images.example.com/{folder}/{filename}"
            rec["name"] = rec.get("name") or filename
        if name == "webhooks_outgoing_endpoints" and created:
            secret = self.webhook_secrets[rec["id"]] = stable_hex(s.ids.seed, "webhook-secret", rec["id"])
            return {"webhook_secret": secret}
        return {}

    def _set_tags(self, contact: Entry, tag_ids: list[int]) -> None:
        """`tag_ids` replaces the contact's tag set: applied tags are removed and added to match."""
        s = self.s
        cid = contact.rec["id"]
        current = {r["tag_id"]: r["id"] for r in s.child_records("contacts_applied_tags", cid, limit=10**6)}
        for tag_id, applied_id in current.items():
            if tag_id not in tag_ids:
                self.delete("contacts_applied_tags", applied_id)
        for tag_id in dict.fromkeys(tag_ids):
            if tag_id not in current:
                self.create("contacts_applied_tags", cid, {"tag_id": tag_id}, None)

    def _touch_parent(self, entry: Entry) -> None:
        """A parent that embeds its children (a contact's tags, a product's variant_ids) changes too."""
        s = self.s
        parent, parent_id = entry.ancestry[0]
        if parent == ACCOUNT or not any(
            d.target == entry.resource and d.kind != "embed" for d in s.gen.derived(parent)
        ):
            return
        if s.exists(parent, parent_id):
            s.stamp(s.touch(parent, parent_id))

    def event(self, name: str, id_: int, action: str, data: Mapping[str, Any]) -> None:
        """Append to the workspace's outgoing event log (what makes hard deletes discoverable)."""
        s = self.s
        if name == "webhooks_outgoing_events":
            return
        workspace = s.workspace_of(name, id_)
        if workspace is None:
            return
        spec = s.catalog.spec(name)
        entry = s.insert("webhooks_outgoing_events", "workspaces", workspace, s.now_ms())
        entry.rec.update(
            event_type_id=f"{spec.event_name}.{action}",
            subject_id=id_,
            subject_type=spec.subject_type,
            # What the webhook delivery sends: the record with its extra fields, as a GET would show it.
            data=s.extras.apply(name, dict(data)),
        )
        if self.on_event is not None:
            self.on_event(workspace, entry.rec)
