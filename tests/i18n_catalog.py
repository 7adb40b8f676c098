"""What the translation tests read, without GNU gettext: the committed .po files, the messages the sources
mark for translation (templates through Django's own `templatize`, as makemessages does; Python and the
page scripts by their gettext calls), the template text left outside translation tags, and Python
messages for people written as plain literals.
"""

from __future__ import annotations

import ast
import io
import re
import tokenize
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

from django.utils.translation.template import templatize

Key = tuple[str | None, str]  # (context, msgid)

# Call name -> the meaning of its leading string arguments (as makemessages' xgettext keywords).
PYTHON_KEYWORDS: dict[str, tuple[str, ...]] = {
    "_": ("id",), "gettext": ("id",), "gettext_lazy": ("id",), "gettext_noop": ("id",),
    "ngettext": ("id", "plural"), "ngettext_lazy": ("id", "plural"),
    "pgettext": ("ctx", "id"), "pgettext_lazy": ("ctx", "id"),
    "npgettext": ("ctx", "id", "plural"), "npgettext_lazy": ("ctx", "id", "plural"),
}
JS_CALL = re.compile(r"\b(gettext|ngettext|pgettext)\(\s*((?:\"(?:[^\"\\]|\\.)*\"\s*,?\s*)+)")
JS_STRING = re.compile(r"\"((?:[^\"\\]|\\.)*)\"")


@dataclass
class Entry:
    msgstr: list[str] = field(default_factory=list)
    plural: str | None = None
    fuzzy: bool = False


def _unquote(parts: list[str]) -> str:
    return "".join(ast.literal_eval(p) for p in parts)


def read_po(path: Path) -> dict[Key, Entry]:
    """Every entry of a .po file but the header, by (context, msgid)."""
    catalog: dict[Key, Entry] = {}
    for block in path.read_text(encoding="utf-8").split("\n\n"):
        fields: dict[str, list[str]] = {}
        current, fuzzy = None, False
        for line in block.splitlines():
            if line.startswith("#,"):
                fuzzy = "fuzzy" in line
            elif line.startswith("#"):
                continue
            elif line.startswith('"') and current:
                fields[current].append(line)
            else:
                name, _, value = line.partition(" ")
                current = name
                fields[current] = [value]
        if "msgid" not in fields or _unquote(fields["msgid"]) == "":
            continue
        context = _unquote(fields["msgctxt"]) if "msgctxt" in fields else None
        strings = [_unquote(v) for k, v in sorted(fields.items()) if k.startswith("msgstr")]
        plural = _unquote(fields["msgid_plural"]) if "msgid_plural" in fields else None
        catalog[(context, _unquote(fields["msgid"]))] = Entry(strings, plural, fuzzy)
    return catalog


def _python_calls(source: str) -> list[tuple[str, tuple[str, ...]]]:
    """(keyword, leading string arguments) of every gettext-like call, by tokens (templatize's output is not
    always valid Python)."""
    source = "\n".join(line.lstrip() for line in source.splitlines())  # templatize indents freely
    tokens = [t for t in tokenize.generate_tokens(io.StringIO(source).readline)
              if t.type not in (tokenize.NL, tokenize.NEWLINE, tokenize.COMMENT, tokenize.INDENT, tokenize.DEDENT)]
    calls = []
    for i, token in enumerate(tokens[:-1]):
        if token.type != tokenize.NAME or token.string not in PYTHON_KEYWORDS or tokens[i + 1].string != "(":
            continue
        if i and tokens[i - 1].string in ("def", "."):  # a definition, or a method of something else
            continue
        args, parts, j = [], [], i + 2
        while j < len(tokens):
            t = tokens[j]
            if t.type == tokenize.STRING:
                parts.append(t.string)
            elif t.string == "," and parts:
                args.append(_unquote(parts))
                parts = []
            else:
                break
            j += 1
        if parts:
            args.append(_unquote(parts))
        calls.append((token.string, tuple(args)))
    return calls


def _keys(calls: list[tuple[str, tuple[str, ...]]]) -> set[Key]:
    keys = set()
    for keyword, args in calls:
        roles = dict(zip(PYTHON_KEYWORDS[keyword], args, strict=False))
        if "id" in roles:
            keys.add((roles.get("ctx"), roles["id"]))
    return keys


def python_msgids(source: str) -> set[Key]:
    return _keys(_python_calls(source))


def template_msgids(source: str) -> set[Key]:
    return _keys(_python_calls(templatize(source)))


def js_msgids(source: str) -> set[Key]:
    keys = set()
    for match in JS_CALL.finditer(source):
        args = [ast.literal_eval(f'"{s}"') for s in JS_STRING.findall(match.group(2))]
        if match.group(1) == "pgettext" and len(args) >= 2:
            keys.add((args[0], args[1]))
        elif args:
            keys.add((None, args[0]))
    return keys


# --- Template text outside translation tags -------------------------------------------------------------------

CLASS_BLOCK = re.compile(r"{%\s*block\s+\w+_class\s*%}.*?{%\s*endblock\s*%}", re.S)  # CSS classes, not prose
TRANSLATED_BLOCK = re.compile(r"{%\s*blocktrans(?:late)?\b.*?{%\s*endblocktrans(?:late)?\s*%}", re.S)
COMMENT_BLOCK = re.compile(r"{%\s*comment\s*%}.*?{%\s*endcomment\s*%}", re.S)
TEMPLATE_SYNTAX = re.compile(r"{%.*?%}|{{.*?}}|{#.*?#}", re.S)
NOT_PROSE = re.compile(r"<(script|style|pre|code)\b.*?</\1>", re.S | re.I)
VISIBLE_ATTRIBUTES = {"aria-label", "placeholder", "title", "alt", "data-confirm"}
WORD = re.compile(r"[^\W\d_]{2,}")


class _VisibleText(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found += [value for name, value in attrs if name in VISIBLE_ATTRIBUTES and value]
        if tag == "input" and ("type", "submit") in attrs:
            self.found += [value for name, value in attrs if name == "value" and value]

    def handle_data(self, data: str) -> None:
        self.found.append(data)


def unmarked_template_text(source: str, *, allowed: frozenset[str] = frozenset()) -> list[str]:
    """Words people would read that are not inside a translation tag (brand names and the like in `allowed`)."""
    text = TRANSLATED_BLOCK.sub(" ", COMMENT_BLOCK.sub(" ", CLASS_BLOCK.sub(" ", source)))
    text = NOT_PROSE.sub(" ", TEMPLATE_SYNTAX.sub(" ", text))
    parser = _VisibleText()
    parser.feed(text)
    return [w for chunk in parser.found for w in WORD.findall(chunk) if w not in allowed]


# --- Python messages for people written as plain literals -----------------------------------------------------

MESSAGE_FUNCTIONS = {"success", "warning", "error", "info", "debug"}  # django.contrib.messages
# Exceptions whose message people read (pages, the API's `message`, the live socket); argument index of it.
MESSAGE_EXCEPTIONS = {
    "ServiceError": 0, "InvalidUpload": 0, "UnknownChoice": 0, "ServiceBusy": 0, "FrameRefused": 0,
    "FileUnavailable": 0, "TokenLimitReached": 0, "PhotoNotKept": 0, "VideoNotReady": 0, "Http404": 0,
    "ValidationError": 0, "AuthenticationFailed": 0, "APIError": 1,
}
MESSAGE_KEYWORDS = {"label", "help_text", "verbose_name", "reason", "message", "title", "description",
                    "left_title", "right_title"}


def _is_literal(node: ast.AST | None) -> bool:
    return isinstance(node, ast.JoinedStr) or (
        isinstance(node, ast.Constant) and isinstance(node.value, str) and bool(WORD.search(node.value)))


def unmarked_python_messages(source: str, *, keywords: bool = True) -> list[int]:
    """Line numbers of messages.*(request, "..."), raise SomeServiceError("..."), and (with `keywords`)
    label="...", help_text="...", title="..." and the like."""
    lines = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        is_message = isinstance(func, ast.Attribute) and getattr(func.value, "id", "") == "messages"
        if is_message and name in MESSAGE_FUNCTIONS:
            if len(node.args) > 1 and _is_literal(node.args[1]):
                lines.append(node.lineno)
        elif name in MESSAGE_EXCEPTIONS:
            index = MESSAGE_EXCEPTIONS[name]
            if len(node.args) > index and _is_literal(node.args[index]):
                lines.append(node.lineno)
        if keywords:
            lines += [node.lineno for kw in node.keywords if kw.arg in MESSAGE_KEYWORDS and _is_literal(kw.value)]
    return lines


# --- Script texts written as plain literals -------------------------------------------------------------------

JS_MARKED_CALL = re.compile(r"\b(?:gettext|ngettext|pgettext)\((?:\s*\"(?:[^\"\\]|\\.)*\"\s*,?)+")
JS_COMMENT = re.compile(r"(?<!:)//[^\n]*|/\*.*?\*/", re.S)  # not the "//" of "https://"
# A sentence for people: starts with a capital letter or ends like a sentence, and has more than one word
# (class names, selectors and "use strict" do neither).
JS_SENTENCE = re.compile(r"\"((?:[A-Z][^\"\\]*\s[^\"\\]*)|(?:[^\"\\]*\s[^\"\\]*[.…!?]))\"")


def unmarked_script_text(source: str) -> list[str]:
    """Sentences in a page script that do not go through the JavaScript catalogue."""
    return JS_SENTENCE.findall(JS_MARKED_CALL.sub(" ", JS_COMMENT.sub(" ", source)))
