"""A workspace's web presence: its domains, its one site, its funnels and their pages, the split tests and
conditional splits between those pages, and its blog.

Pages belong to funnels by arithmetic, so that both sides can be found without a scan: the pages of a
workspace go two by two to its funnels in turn (pages 0 and 1 to the first funnel, 2 and 3 to the second...,
wrapping around), except about one page in five, a landing or site page of no funnel. A funnel page's
`funnel` is its funnel, its `show_page_step` the funnel step it is (opt-in, sales page, order form...,
checkout steps with products of the workspace), its `url` the step's path on the funnel's domain (else on
the workspace's `myclickfunnels.com` subdomain). A funnel's `domain_id` names a domain of its workspace.
A split test step or conditional split exists only in a funnel of two pages or more: its variants (weights
adding up to 100) or its branches (matched, unmatched) are the funnel's first two pages, and a conditional
split's condition is a refine filter of the workspace. Pages, funnels and filters named this way are served
as they are now, following later writes.

A blog's posts have tags of the same blog, a featured image of the workspace, authors among the account's
users, a path and URL under the blog's; drafts are unpublished, scheduled posts publish later.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from cfsync.sandbox.ids import iso_ms, stable_int
from cfsync.sandbox.values import ADJECTIVES, NOUNS, WORDS, nth, slug

if TYPE_CHECKING:
    from cfsync.sandbox.generate import Ctx, Generator

__all__ = ["BASE", "SERVE", "absent", "funnel_pages", "page_funnel"]

Rec = dict[str, Any]
_DAY = 86_400_000
STEP_NAMES = ("Sales page", "Order form", "Upsell", "Thank you", "Opt-in")
_CHECKOUTS = ("Order form", "Upsell")
_DOMAIN_STATUSES = ("connecting", "initialized", "ownership_verified", "removing", "securing")
_CATEGORIES = ("Marketing", "Funnels", "Case studies", "Email", "Announcements")
_TAG_NAMES = ("funnels", "email", "ads", "copywriting", "case-study", "launch", "webinars", "growth")
_HEADLINES = ("How to {} your {} funnel", "{} lessons from our {} launch", "Why {} beats {} every time")


def project(src: Rec | None, shape: Any) -> Rec | None:
    from cfsync.sandbox.generate import project  # generate.py imports this module (through overrides)

    return project(src, shape)


def _base_of(gen: Generator, name: str, id_: Any) -> Rec | None:
    offset = gen.ids.offset_of(name, id_) if isinstance(id_, int) else None
    return None if offset is None else gen.peek(name, offset)


def _workspace_host(gen: Generator, workspace_id: int | None) -> str:
    workspace = _base_of(gen, "workspaces", workspace_id)
    return f"{(workspace or {}).get('subdomain') or 'www'}.myclickfunnels.com"


def _host(gen: Generator, funnel: Rec | None, workspace_id: int | None) -> str:
    """Where a funnel's pages are served: its domain, else the workspace's subdomain."""
    domain = _base_of(gen, "domains", (funnel or {}).get("domain_id"))
    return str(domain["name"]) if domain and domain.get("name") else _workspace_host(gen, workspace_id)


# -- funnels and their pages -----------------------------------------------------------------------------


def page_funnel(gen: Generator, page_offset: int) -> int | None:
    """The funnel of a generated page, None for a landing or site page."""
    ids = gen.ids
    funnels = ids.count("funnels") if ids.parent("funnels") == ids.parent("pages") else 0
    if funnels == 0 or stable_int(gen.seed, "page-kind", ids.id_at("pages", page_offset)) % 5 == 0:
        return None
    scope_offset = page_offset % ids.total(ids.parent("pages"))
    position = (ids.index_of("pages", page_offset) // 2) % funnels
    return ids.id_at("funnels", ids.offset_under("funnels", ids.parent("funnels"), scope_offset, position))


def funnel_pages(gen: Generator, funnel_id: int) -> list[int]:
    """The generated pages of a funnel, in order: its steps."""
    ids = gen.ids
    offset = ids.offset_of("funnels", funnel_id)
    funnels = ids.count("funnels")
    if offset is None or ids.parent("funnels") != ids.parent("pages"):
        return []
    scope = ids.parent("pages")
    scope_offset, position = offset % ids.total(scope), ids.index_of("funnels", offset)
    out = []
    for pair in range(position, (ids.count("pages") + 1) // 2, funnels):
        for p in (2 * pair, 2 * pair + 1):
            if p < ids.count("pages"):
                page_offset = ids.offset_under("pages", scope, scope_offset, p)
                if page_funnel(gen, page_offset) == funnel_id:
                    out.append(ids.id_at("pages", page_offset))
    return out


def _funnel(gen: Generator, ctx: Ctx, rec: Rec) -> None:
    pixel = ctx.values.hex(15)
    rec["head_code"] = f"<script>fbq('init', '{pixel}'); fbq('track', 'PageView');</script>"
    rec["footer_code"] = "" if ctx.rng.random() < 0.5 else f"<script>window.cfFunnel = {ctx.id};</script>"


def _page(gen: Generator, ctx: Ctx, rec: Rec) -> None:
    rng, v = ctx.rng, ctx.values
    workspace = dict(ctx.ancestry).get("workspaces")
    funnel_id = page_funnel(gen, ctx.offset)
    funnel = _base_of(gen, "funnels", funnel_id)
    rec["current_path"] = f"/{slug(str(rec.get('name') or 'page'))}-{ctx.id}"
    if funnel_id is not None and funnel is not None:
        steps = funnel_pages(gen, funnel_id)
        step = STEP_NAMES[steps.index(ctx.id) % len(STEP_NAMES)] if ctx.id in steps else STEP_NAMES[0]
        path = f"{funnel.get('current_path') or '/funnel'}/{slug(step)}"
        products = []
        if step in _CHECKOUTS:
            chosen = {gen.pick(ctx, "products") for _ in range(rng.randint(1, 2))} - {None}
            shape = {"id": "integer", "name": "string", "public_id": "string"}
            products = [project(_base_of(gen, "products", p), shape) for p in sorted(chosen)]  # type: ignore[type-var]
        rec.update(
            type="funnel_page",
            funnel={"id": funnel_id},
            url=f"https://{_host(gen, funnel, workspace)}{path}",
            show_page_step={
                "current_path": path,
                "id": gen.embedded_id("pages", "show_page_step", ctx.id, 0),
                "name": step,
                "products": products,
                "public_id": v.hex(8),
            },
        )
    else:
        rec.update(
            type=rng.choice(("landing_page", "site_page")),
            funnel=None,
            url=f"https://{_workspace_host(gen, workspace)}{rec['current_path']}",
            show_page_step=None,
        )
    rec["seo_title"] = rec.get("name")
    rec["seo_description"] = v.sentence()
    rec["head_code"] = f"<script>window.cfPage = {ctx.id};</script>"
    rec["footer_code"] = (
        "" if rng.random() < 0.6 else '<script src="https://chat.example.com/widget.js"></script>'
    )
    headline = f"<headline>{v.sentence()}</headline>"
    rec["markup"] = f'<page name="{rec.get("name")}"><section>{headline}</section></page>'


def absent(gen: Generator, name: str, offset: int) -> bool:
    """A split test step or conditional split of a funnel with fewer than two pages does not exist."""
    if name not in ("split_test_steps", "conditional_split_steps"):
        return False
    funnel = gen.ids.ancestry(name, offset)[0][1]
    return len(funnel_pages(gen, funnel)) < 2


def _split_test_step(gen: Generator, ctx: Ctx, rec: Rec) -> None:
    pages = funnel_pages(gen, dict(ctx.ancestry)["funnels"])
    weight = ctx.rng.choice((50, 60, 70, 80))
    rec["variants"] = [
        {"page": {"id": page}, "show_page_step": None, "weight": w}
        for page, w in zip(pages[:2], (weight, 100 - weight), strict=False)
    ]


def _conditional_split_step(gen: Generator, ctx: Ctx, rec: Rec) -> None:
    funnel = dict(ctx.ancestry)["funnels"]
    pages = funnel_pages(gen, funnel)
    rec["branches"] = [{"page": {"id": page}, "show_page_step": None} for page in pages[:2]]
    rec["funnel_id"] = funnel
    rec["funnel_public_id"] = gen.ids.public_id("funnels", funnel)
    chosen = gen.pick(ctx, "refine_filters")
    rec["condition"] = {
        "filter": None,
        "filter_id": None if chosen is None else str(chosen),
        "is_setup": chosen is not None,
    }


def _steps(gen: Generator, items: Any, shape: Any, lookup: Any) -> None:
    """Variants and branches name pages: served with each page's name and funnel step as they are now."""
    if not isinstance(items, list) or not isinstance(shape, list):
        return
    for item in items:
        if not isinstance(item, dict):
            continue
        ref = (item.get("page") or {}).get("id") if isinstance(item.get("page"), dict) else None
        page = lookup("pages", ref) if isinstance(ref, int) else None
        item["page"] = project(page, shape[0]["page"])
        step = (page or {}).get("show_page_step")
        item["show_page_step"] = project(step if isinstance(step, dict) else None, shape[0]["show_page_step"])


def _serve_split_test_step(gen: Generator, rec: Rec, lookup: Any, children: Any) -> None:
    _steps(gen, rec.get("variants"), gen.catalog.spec("split_test_steps").fields.get("variants"), lookup)


def _serve_conditional_split_step(gen: Generator, rec: Rec, lookup: Any, children: Any) -> None:
    fields = gen.catalog.spec("conditional_split_steps").fields
    _steps(gen, rec.get("branches"), fields.get("branches"), lookup)
    condition, shape = rec.get("condition"), fields.get("condition")
    if isinstance(condition, dict) and isinstance(shape, dict) and isinstance(shape.get("filter"), dict):
        ref = str(condition.get("filter_id") or "")
        found = lookup("refine_filters", int(ref)) if ref.isdigit() else None
        condition["filter"] = project(found, shape["filter"])


# -- domains and the site ------------------------------------------------------------------------------------


def _domain(gen: Generator, ctx: Ctx, rec: Rec) -> None:
    rng = ctx.rng
    words = f"{rng.choice(ADJECTIVES)}{rng.choice(NOUNS)}".lower()
    rec["name"] = f"{rng.choice(('www', 'go', 'join'))}.{words}{ctx.id}.com"
    # Each workspace's first domain is live; the others are somewhere on the way.
    rec["status"] = "secured" if ctx.values.index == 0 else rng.choice(_DOMAIN_STATUSES)
    rec["connected"] = rec["status"] == "secured"


def _site(gen: Generator, ctx: Ctx, rec: Rec) -> None:
    workspace = _base_of(gen, "workspaces", dict(ctx.ancestry).get("workspaces")) or {}
    rec["name"] = f"{workspace.get('name') or 'Workspace'} Site"
    rec["head_code"] = f"<script>window.cfSite = {ctx.id};</script>"
    rec["footer_code"] = ""


# -- the blog ------------------------------------------------------------------------------------------------


def _blog(gen: Generator, ctx: Ctx, rec: Rec) -> None:
    workspace_id = dict(ctx.ancestry).get("workspaces")
    workspace = _base_of(gen, "workspaces", workspace_id) or {}
    index = ctx.values.index
    rec["name"] = f"{workspace.get('name') or 'Our'} Blog" + (f" {index + 1}" if index else "")
    rec["current_path"] = "/blog" + (f"-{index + 1}" if index else "")
    rec["url"] = f"https://{_workspace_host(gen, workspace_id)}{rec['current_path']}"
    rec["seo_title"] = rec["name"]


def _blog_tag(gen: Generator, ctx: Ctx, rec: Rec) -> None:
    rec["name"] = nth(_TAG_NAMES, ctx.values.index, "-")


def _blog_post(gen: Generator, ctx: Ctx, rec: Rec) -> None:
    rng, v = ctx.rng, ctx.values
    blog = _base_of(gen, "blogs", dict(ctx.ancestry)["blogs"]) or {}
    title = rng.choice(_HEADLINES).format(rng.choice(WORDS).capitalize(), rng.choice(WORDS))
    rec["title"] = f"{title} ({v.index + 1})"
    path = slug(rec["title"])
    rec["current_path"] = f"{blog.get('current_path') or '/blog'}/{path}"
    rec["url"] = f"{blog.get('url') or ''}/{path}"
    image = _base_of(gen, "images", rec.get("image_id"))
    rec["image_url"] = None if image is None else image.get("url")
    visibility = rng.choices(("public", "members_only", "draft", "scheduled"), (60, 10, 20, 10))[0]
    rec["visibility"] = visibility
    rec["published_at"] = (
        None if visibility == "draft"
        else iso_ms(gen.ids.end_ms + rng.randrange(1, 14) * _DAY) if visibility == "scheduled"  # to come
        else v.time_between()
    )  # fmt: skip
    authors = {gen.pick(ctx, "users") for _ in range(rng.randint(1, 2))} - {None}
    users = [_base_of(gen, "users", a) or {} for a in sorted(authors)]  # type: ignore[type-var]
    rec["authors"] = [
        {"email_address": u.get("email"), "first_name": u.get("first_name"), "last_name": u.get("last_name")}
        for u in users
    ]
    rec["categories"] = [{"name": c} for c in sorted(set(rng.sample(_CATEGORIES, rng.randint(0, 2))))]
    rec["excerpt_content"] = v.sentence()
    rec["seo_title"], rec["seo_description"] = rec["title"], rec["excerpt_content"]
    rec["markup"] = f"<post><headline>{rec['title']}</headline><text>{v.sentence()}</text></post>"


BASE: dict[str, Callable[[Generator, Ctx, Rec], None]] = {
    "funnels": _funnel,
    "pages": _page,
    "split_test_steps": _split_test_step,
    "conditional_split_steps": _conditional_split_step,
    "domains": _domain,
    "sites": _site,
    "blogs": _blog,
    "blogs_tags": _blog_tag,
    "blogs_posts": _blog_post,
}
SERVE: dict[str, Callable[[Generator, Rec, Any, Any], None]] = {
    "split_test_steps": _serve_split_test_step,
    "conditional_split_steps": _serve_conditional_split_step,
}
