"""Read the values a page of the tool hands to its script and forms."""

import re
from html import unescape


def meta_content(html: str, name: str) -> str:
    match = re.search(rf'<meta name="{re.escape(name)}" content="([^"]*)"', html)
    assert match, f"page has no <meta name={name!r}>"
    return unescape(match.group(1))


def hidden_field(html: str, name: str) -> str:
    match = re.search(rf'<input type="hidden" name="{re.escape(name)}" value="([^"]*)"', html)
    assert match, f"page has no hidden field {name!r}"
    return unescape(match.group(1))
