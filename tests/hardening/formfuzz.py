"""The HTML form fuzzer's parts: find every form a visitor can reach, and mangle a post to it.

Forms are found the way a person finds them: by following links from a few starting pages
(in both languages) and reading each ``<form method="post">`` with its fields. A post is
then built from what hypothesis draws: garbage, huge, unicode or empty values, fields left out,
duplicated or invented, a missing, wrong or non-ASCII CSRF token, and bodies sent urlencoded,
as multipart, or as broken multipart.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urlencode, urljoin, urlsplit

from hypothesis import strategies as st

CSRF = "csrf_token"
SCOPES = ("/en/account", "/fr/compte", "/en/eligibility", "/fr/admissibilite")


@dataclass(frozen=True)
class Form:
    page: str
    action: str
    multipart: bool
    fields: tuple[tuple[str, str], ...]  # name and the value the page put there

    def value(self, name: str) -> str:
        return next((v for k, v in self.fields if k == name), "")


@dataclass
class _Parser(HTMLParser):
    page: str
    forms: list[Form] = field(default_factory=list)
    links: list[str] = field(default_factory=list)
    _current: dict[str, Any] | None = None

    def __post_init__(self) -> None:
        super().__init__(convert_charrefs=True)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "a" and a.get("href"):
            self.links.append(urljoin(self.page, a["href"]))
        elif tag == "form" and a.get("method", "get").lower() == "post":
            self._current = {
                "action": urljoin(self.page, a.get("action") or self.page),
                "multipart": "multipart" in a.get("enctype", ""),
                "fields": [],
            }
        elif self._current is not None and tag in ("input", "select", "textarea") and a.get("name"):
            if a.get("type") in ("checkbox", "radio") and "checked" not in a:
                value = a.get("value", "on") if a.get("type") == "checkbox" else a.get("value", "")
            else:
                value = a.get("value", "")
            self._current["fields"].append((a["name"], value))
        elif self._current is not None and tag == "option" and self._current["fields"]:
            name, value = self._current["fields"][-1]
            if not value and a.get("value"):
                self._current["fields"][-1] = (name, a["value"])

    def handle_endtag(self, tag: str) -> None:
        if tag == "form" and self._current is not None:
            fields = tuple(dict.fromkeys(self._current["fields"]))
            self.forms.append(
                Form(
                    self.page,
                    urlsplit(self._current["action"]).path,
                    self._current["multipart"],
                    fields,
                )
            )
            self._current = None


def crawl(
    get: Callable[[str], tuple[int, str]], seeds: Iterable[str], limit: int = 80
) -> list[Form]:
    """Every post form on pages reachable from ``seeds`` within the site's form areas."""
    seen: set[str] = set()
    queue = list(seeds)
    forms: dict[tuple[str, str], Form] = {}
    while queue and len(seen) < limit:
        page = queue.pop(0)
        if page in seen:
            continue
        seen.add(page)
        status, html = get(page)
        if status != 200:
            continue
        parser = _Parser(page)
        parser.feed(html)
        for form in parser.forms:
            forms.setdefault((form.action, ",".join(k for k, _ in form.fields)), form)
        for link in parser.links:
            parts = urlsplit(link)
            target = parts.path + (f"?{parts.query}" if parts.query else "")
            if parts.path.startswith(SCOPES) and "sign-out" not in parts.path:
                queue.append(target)
    return list(forms.values())


# --- what a post can hold -------------------------------------------------------------------

garbage = st.one_of(
    st.text(max_size=40),
    st.text(alphabet=st.characters(codec="utf-8"), min_size=1, max_size=20),
    st.sampled_from(
        [
            "",
            " ",
            "0",
            "-1",
            "1e309",
            "NaN",
            "9" * 40,
            "é",
            "\x00",
            "\ufeff",
            "../../etc/passwd",
            "<script>x</script>",
            "' OR 1=1 --",
            "%00",
            "2026-02-30",
            "\U0001f600" * 10,
            "a@b",
            "x" * 5000,
        ]
    ),
    st.integers(-(10**12), 10**12).map(str),
    st.just("z" * 70_000),  # past the form size limit
)
bad_tokens = st.sampled_from(["", "x", "é", "é" * 43, "A" * 43, "\x00", "A" * 500, "\U0001f600"])


@dataclass(frozen=True)
class Post:
    form: Form
    pairs: tuple[tuple[str, str], ...]
    encoding: str  # "urlencoded", "multipart", "broken-multipart", "raw"
    raw: bytes = b""


@st.composite
def posts(draw: st.DrawFn, forms: list[Form]) -> Post:
    form = draw(st.sampled_from(forms))
    pairs: list[tuple[str, str]] = []
    for name, value in form.fields:
        if name == CSRF:
            continue
        choice = draw(st.sampled_from(["keep", "garbage", "drop", "twice"]))
        if choice == "keep":
            pairs.append((name, value))
        elif choice == "garbage":
            pairs.append((name, draw(garbage)))
        elif choice == "twice":
            pairs += [(name, value), (name, draw(garbage))]
    pairs += draw(st.lists(st.tuples(st.text(max_size=10), garbage), max_size=3))
    csrf = draw(st.sampled_from(["valid", "missing", "bad", "twice"]))
    if csrf == "valid":
        pairs.insert(0, (CSRF, form.value(CSRF)))
    elif csrf == "bad":
        pairs.insert(0, (CSRF, draw(bad_tokens)))
    elif csrf == "twice":
        pairs[:0] = [(CSRF, draw(bad_tokens)), (CSRF, form.value(CSRF))]
    encoding = draw(
        st.sampled_from(["urlencoded", "urlencoded", "multipart", "broken-multipart", "raw"])
    )
    raw = draw(st.binary(max_size=300)) if encoding in ("broken-multipart", "raw") else b""
    return Post(form, tuple(pairs), encoding, raw)


def send(client: Any, post: Post) -> int:
    """POST it with a sync client (Starlette's TestClient); returns the status."""
    path = post.form.action
    if post.encoding == "urlencoded":
        body = urlencode([(k, v.encode("utf-8", "surrogatepass")) for k, v in post.pairs])
        response = client.post(
            path,
            content=body.encode("ascii"),
            headers={"content-type": "application/x-www-form-urlencoded"},
        )
    elif post.encoding == "multipart":
        response = client.post(
            path, files=[(k, (None, v.encode("utf-8", "surrogatepass"))) for k, v in post.pairs]
        )
    elif post.encoding == "broken-multipart":
        response = client.post(
            path,
            content=b"--b\r\nContent-Disposition: form-data; nam" + post.raw,
            headers={"content-type": "multipart/form-data; boundary=b"},
        )
    else:
        response = client.post(
            path,
            content=post.raw + b"%FF%C3=%ZZ&&=",
            headers={"content-type": "application/x-www-form-urlencoded"},
        )
    return int(response.status_code)


STATUSES: Counter[int] = Counter()  # every status the fuzzer saw, for the closing figures
