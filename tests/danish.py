"""
Finding English on a page rendered in Danish: the visible text of the page (text nodes and aria-labels) must
hold no sentence or words written in our templates, and no message of our catalog left untranslated.

Words in <b> are Entra's own field and button names (the pages say "set <b>Provisioning Mode</b> to
<b>Automatic</b>"), which stay as Entra shows them; <code> holds data (hints, TXT records, thumbprints).
"""

import re
import subprocess
from html.parser import HTMLParser
from pathlib import Path

from django.conf import settings

TEMPLATES = Path(settings.BASE_DIR) / "templates"
CATALOG = Path(settings.BASE_DIR) / "locale" / "da" / "LC_MESSAGES" / "django.po"

# Names and labels that are the same in Danish: product and protocol names, and the labels of Entra's
# Basic SAML Configuration and Admin Credentials fields that the page lines up with Entra's own form.
SAME_IN_DANISH = {
    "Plandisc",
    "Microsoft Entra ID",
    "Entra",
    "SCIM",
    "SAML",
    "UTC",
    "OAuth",
    "Basic SAML Configuration",
    "Identifier (Entity ID)",
    "Reply URL (Assertion Consumer Service URL)",
    "Sign on URL",
    "Client Secret",
    "Client ID",
    "Client Identifier",
    "Token URL",
    "SCIM URL",
    "Tenant URL",
    "Token Endpoint",
    "OAuth2 Client Credentials Grant",
    "Federation Metadata XML",
}


VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
SKIPPED_ELEMENTS = {"b", "code", "script", "style"}


class _Text(HTMLParser):
    """The visible text pieces of an HTML document, outside skipped elements."""

    def __init__(self, skip_ids=frozenset(), skip_classes=frozenset()):
        super().__init__(convert_charrefs=True)
        self.skip_ids, self.skip_classes = skip_ids, skip_classes
        self.stack: list[bool] = []  # for each open element: is its content skipped
        self.pieces: list[str] = []

    @property
    def skipping(self) -> bool:
        return any(self.stack)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        skipped = (
            tag in SKIPPED_ELEMENTS
            or attrs.get("id") in self.skip_ids
            or bool(set((attrs.get("class") or "").split()) & self.skip_classes)
        )
        if not self.skipping and not skipped and attrs.get("aria-label"):
            self.pieces.append(attrs["aria-label"])
        if tag not in VOID:
            self.stack.append(skipped)

    def handle_endtag(self, tag):
        if tag not in VOID and self.stack:
            self.stack.pop()

    def handle_data(self, data):
        if not self.skipping and data.strip():
            self.pieces.append(" ".join(data.split()))


def visible_text(html: str, skip_ids=frozenset(), skip_classes=frozenset()) -> list[str]:
    parser = _Text(frozenset(skip_ids), frozenset(skip_classes))
    parser.feed(html)
    return parser.pieces


TEMPLATE_SYNTAX = re.compile(r"{#.*?#}|{%.*?%}|{{.*?}}", re.S)


def template_english() -> set[str]:
    """Every piece of English written literally in our templates (blocktranslate bodies included, split at
    their placeholders), except Entra's words and the names above."""
    found = set()
    for path in TEMPLATES.rglob("*.*"):
        source = TEMPLATE_SYNTAX.sub("\x00", path.read_text())
        for piece in visible_text(source):
            parts = piece.split("\x00")
            for part in parts:
                part = part.strip(" .,:;·…—→")
                if part not in SAME_IN_DANISH and _telling(part, whole=len(parts) == 1):
                    found.add(part)
    return found


def _telling(text: str, whole: bool) -> bool:
    """Whether English text tells a page is not translated: two words or more, or a whole text node of one
    word of four letters or more ("Copy"); not a short word that Danish has too ("for") or a single word
    between a sentence's placeholders and tags."""
    words = re.findall(r"[A-Za-z]{2,}", text)
    return len(words) >= 2 or (whole and len(words) == 1 and len(words[0]) >= 4)


def catalog() -> list[dict]:
    """The Danish catalog's entries: msgid, msgid_plural, msgstr (a list), fuzzy."""
    entries = []
    for block in CATALOG.read_text().split("\n\n"):
        fields: dict[str, str] = {}
        key = None
        for line in block.splitlines():
            match = re.match(r'^(msgid_plural|msgid|msgstr(?:\[\d\])?) "(.*)"$', line)
            if match:
                key = match[1]
                fields[key] = match[2]
            elif line.startswith('"') and key:
                fields[key] += line[1:-1]
        if fields.get("msgid"):
            unescape = lambda text: text.replace('\\"', '"').replace("\\n", "\n").replace("\\\\", "\\")  # noqa: E731
            entries.append(
                {
                    "msgid": unescape(fields["msgid"]),
                    "msgid_plural": unescape(fields.get("msgid_plural", "")),
                    "msgstr": [unescape(v) for k, v in sorted(fields.items()) if k.startswith("msgstr")],
                    "fuzzy": bool(re.search(r"^#,.*\bfuzzy\b", block, re.M)),
                }
            )
    return entries


PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|\{\w+\}")


def _literal(message: str) -> str:
    """A message's words without its placeholders and tags."""
    return " ".join(PLACEHOLDER.sub(" ", re.sub(r"<[^>]+>", " ", message)).split())


def _pattern(message: str) -> str:
    """A regular expression for a message's English as a page shows it: placeholders match anything."""
    text = " ".join(re.sub(r"<[^>]+>", " ", message).split())
    parts = PLACEHOLDER.split(text)
    return r"\s*.+?\s*".join(re.escape(part.strip()) for part in parts if part.strip())


def english_on(html: str, skip_ids=frozenset(), skip_classes=frozenset()) -> list[str]:
    """The visible text of a Danish page that holds English from our templates or an untranslated message of
    our catalog (one whose msgstr is empty, or where the English stands, untranslated, on the page)."""
    same = {e["msgid"] for e in catalog() if e["msgstr"] and e["msgstr"][0] == e["msgid"]}
    english = sorted(template_english() - same, key=len, reverse=True)
    messages = [e["msgid"] for e in catalog() if e["msgid"] not in same and e["msgid"] not in SAME_IN_DANISH]
    messages = [m for m in messages if _telling(_literal(m), whole=_literal(m) == m)]
    patterns = [re.escape(piece) for piece in english] + [_pattern(m) for m in messages]
    word = re.compile(r"(?<![\w-])(?:" + "|".join(p for p in patterns if p) + r")(?![\w-])")
    return [piece for piece in visible_text(html, skip_ids, skip_classes) if word.search(piece)]


def msgfmt(po: Path, mo: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["msgfmt", "--check-format", "-o", str(mo), str(po)], capture_output=True, text=True, check=False
    )
