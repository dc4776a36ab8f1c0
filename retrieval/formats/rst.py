"""reStructuredText (``.rst``) through docutils.

The document tree gives section titles (section paths; a lone top title is
the document title), paragraphs, literal blocks (code), bullet, enumerated
and definition lists, tables (rows with header names) and block quotes.
Directives and roles docutils does not know (Sphinx's ``.. versionadded::``,
``:ref:`…```) are reduced to their text instead of becoming error messages;
file inclusion and raw passthrough are disabled.
"""

from __future__ import annotations

import io
import re

from ..settings import CorpusSettings
from .dates import metadata_date
from .encoding import decode
from .markdown import table_rows
from .model import Block, ParsedDocument, clean, finish
from .text import list_blocks

_ROLE = re.compile(r":([A-Za-z][\w.+-]*(?::[\w.+-]+)*):`")
_DIRECTIVE = re.compile(r"^\s*\.\.\s+([A-Za-z][\w.+-]*(?::[\w.+-]+)*)::", re.M)
_TARGET = re.compile(r"\s*<[^<>]*>$")
_VERSION_LABELS = {"versionadded": "New in version", "versionchanged": "Changed in version",
                   "deprecated": "Deprecated since version", "versionremoved": "Removed in version"}


def _register_unknown(text: str) -> None:
    """Make unknown roles and directives harmless: roles keep their text, directives their content."""
    from docutils import nodes
    from docutils.parsers.rst import Directive, directives, roles
    from docutils.parsers.rst.directives.body import CodeBlock
    from docutils.parsers.rst.languages import en

    def text_role(name, rawtext, text, lineno, inliner, options=None, content=None):
        shown = _TARGET.sub("", text).lstrip("~!") or text  # :ref:`Title <target>` -> Title
        return [nodes.literal(rawtext, shown)], []

    class AnyOptions(dict):
        def __missing__(self, key):
            return directives.unchanged

        def __bool__(self):  # docutils parses a directive's ":option: value" lines only for a truthy spec
            return True

    class TextDirective(Directive):
        has_content = True
        optional_arguments = 1
        final_argument_whitespace = True
        option_spec = AnyOptions()

        def run(self):
            container = nodes.container()
            label = _VERSION_LABELS.get(self.name.lower())
            if label and self.arguments:  # Sphinx's wording: "New in version 1.4: The retry option."
                version, *more = " ".join(self.arguments).split(None, 1)
                rest = clean(more[0]) if more else ""
                lead = f"{label} {version}:" + (f" {rest}" if rest else "")
                self.state.nested_parse(self.content, self.content_offset, container)
                first = next(iter(container.findall(nodes.paragraph)), None)
                if first is not None and not rest:
                    first.insert(0, nodes.Text(lead + " "))
                else:
                    container.insert(0, nodes.paragraph(text=lead))
                return [container]
            if self.arguments:
                container += nodes.paragraph(text=self.arguments[0])
            self.state.nested_parse(self.content, self.content_offset, container)
            return [container]

    class NavigationDirective(Directive):  # Sphinx's table of contents: names of other pages, not text
        has_content = True
        optional_arguments = 1
        final_argument_whitespace = True
        option_spec = AnyOptions()

        def run(self):
            return []

    for name in set(_ROLE.findall(text)):
        if roles._roles.get(name) is None and name.lower() not in roles._role_registry:
            roles.register_local_role(name, text_role)
    for name in set(_DIRECTIVE.findall(text)):
        known = name.lower() in directives._directive_registry or name.lower() in en.directives
        if name.lower() in ("code-block", "sourcecode"):  # Sphinx's names for docutils' code directive
            directives.register_directive(name, CodeBlock)
        elif name.lower() == "toctree":
            directives.register_directive(name, NavigationDirective)
        elif not known and name not in directives._directives:
            directives.register_directive(name, TextDirective)


class _Walker:
    def __init__(self):
        self.sections: list[str] = []
        self.blocks: list[Block] = []

    def walk(self, node, depth: int = 0) -> None:
        from docutils import nodes

        for child in node.children:
            if isinstance(child, (nodes.system_message, nodes.comment, nodes.substitution_definition,
                                  nodes.target, nodes.raw, nodes.docinfo, nodes.title)):
                continue
            if isinstance(child, nodes.section):
                titles = [c for c in child.children if isinstance(c, nodes.title)]
                self.sections.append(clean(titles[0].astext()) if titles else "")
                self.walk(child, depth + 1)
                self.sections.pop()
            elif isinstance(child, nodes.paragraph):
                self.add(child.astext(), "prose")
            elif isinstance(child, (nodes.literal_block, nodes.doctest_block)):
                self.add(child.astext(), "code")
            elif isinstance(child, (nodes.bullet_list, nodes.enumerated_list)):
                numbered = isinstance(child, nodes.enumerated_list)
                items = [f"{f'{i}.' if numbered else '-'} {clean(item.astext())}"
                         for i, item in enumerate(child.children, 1)]
                self.blocks.extend(list_blocks(items, self.path))
            elif isinstance(child, nodes.definition_list):
                entries = []
                for item in child.children:
                    term = " ".join(clean(t.astext()) for t in item.children if isinstance(t, nodes.term))
                    body = " ".join(clean(d.astext()) for d in item.children if isinstance(d, nodes.definition))
                    entries.append(f"{term}: {body}")
                self.blocks.extend(list_blocks(entries, self.path))
            elif isinstance(child, nodes.field_list):
                self.blocks.extend(list_blocks([clean(f.astext().replace("\n", ": ", 1)) for f in child.children],
                                               self.path))
            elif isinstance(child, nodes.table):
                self.table(child)
            elif isinstance(child, nodes.block_quote):
                for para in child.findall(nodes.paragraph):
                    self.add(para.astext(), "quote")
            else:  # admonitions, containers, topics, line blocks: their paragraphs
                self.walk(child, depth)

    @property
    def path(self) -> tuple[str, ...]:
        return tuple(s for s in self.sections if s)

    def add(self, text: str, kind: str) -> None:
        self.blocks.append(Block(text, self.path, kind))

    def table(self, table) -> None:
        from docutils import nodes

        def cells(row):
            return [clean(entry.astext()) for entry in row.children if isinstance(entry, nodes.entry)]

        header = [cells(r) for head in table.findall(nodes.thead) for r in head.children]
        rows = [cells(r) for body in table.findall(nodes.tbody) for r in body.children]
        self.blocks.extend(Block(r, self.path, "table") for r in table_rows(header[0] if header else [], rows))


def _logo_name(tree) -> str | None:
    """The alt text of an image that opens the document (a README's logo, ``:alt: pytest``), else None."""
    from docutils import nodes

    for child in tree.children:
        if isinstance(child, (nodes.comment, nodes.target, nodes.substitution_definition, nodes.decoration)):
            continue
        image = child if isinstance(child, nodes.image) else child.children[0] if (
            isinstance(child, nodes.reference) and child.children and isinstance(child.children[0], nodes.image)) \
            else None
        alt = clean(image.get("alt", "")) if image is not None else ""
        return alt if alt and "://" not in alt else None
    return None


def read(data: bytes, settings: CorpusSettings) -> ParsedDocument:
    """A reStructuredText file as a parsed document."""
    from docutils import nodes
    from docutils.core import publish_doctree

    text = decode(data)
    _register_unknown(text)
    tree = publish_doctree(text, settings_overrides={
        "report_level": 5, "halt_level": 5, "warning_stream": io.StringIO(), "file_insertion_enabled": False,
        "raw_enabled": False, "input_encoding": "unicode", "line_length_limit": 10_000_000,
    })
    title = clean(tree["title"]) if tree.get("title") else _logo_name(tree)
    date = None
    for field in tree.findall(nodes.date):
        date = metadata_date(field.astext())
        break
    walker = _Walker()
    walker.walk(tree)
    return ParsedDocument("rst", title, date, None, finish(walker.blocks, settings.max_paragraph_chars))
