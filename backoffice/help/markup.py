"""The tiny text format of the help pages: paragraphs (blank line between), lists (lines starting
with "- "), **bold** and links to the application's own paths, [texte](/chemin). Everything else is
text: escaped by markupsafe, so a page cannot carry HTML. No Flask import."""
import re

from markupsafe import Markup, escape

# Only a path of this site: "/..." but not "//host" (another site, protocol-relative).
LINK = re.compile(r"\[([^\]\n]+)\]\((/(?!/)[^)\s]*)\)")
ANY_LINK = re.compile(r"\[[^\]\n]+\]\(([^)\n]*)\)")
BOLD = re.compile(r"\*\*(.+?)\*\*")


def links(body: str) -> list[str]:
    """Every link target written in `body`, valid or not (the tests check each one)."""
    return ANY_LINK.findall(body)


def _inline(text: str) -> str:
    """Escaped text with its bold and links; the pieces the patterns keep were escaped first."""
    out, last = [], 0
    for match in LINK.finditer(text):
        out.append(_bold(str(escape(text[last:match.start()]))))
        out.append(f'<a href="{escape(match.group(2))}">{_bold(str(escape(match.group(1))))}</a>')
        last = match.end()
    out.append(_bold(str(escape(text[last:]))))
    return "".join(out)


def _bold(escaped: str) -> str:
    return BOLD.sub(r"<strong>\1</strong>", escaped)


def render(body: str) -> Markup:
    html = []
    for block in re.split(r"\n\s*\n", body.strip()):
        lines = [line.strip() for line in block.splitlines() if line.strip()]
        if lines and lines[0].startswith("- "):
            items: list[list[str]] = []
            for line in lines:  # a line not starting with "- " goes on with the item above
                if line.startswith("- "):
                    items.append([line[2:]])
                else:
                    items[-1].append(line)
            html.append("<ul>" + "".join(f"<li>{_inline(' '.join(item))}</li>" for item in items) + "</ul>")
        elif lines:
            html.append(f"<p>{_inline(' '.join(lines))}</p>")
    return Markup("\n".join(html))


def plain(body: str) -> str:
    """The text a reader sees (what the search looks in): markers and link targets left out."""
    return BOLD.sub(r"\1", LINK.sub(r"\1", body)).replace("- ", " ")
