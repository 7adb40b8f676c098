"""The messages of ml's errors: English sentence fragments kept as a template and its values, so the web
side can show them in the reader's language (analysis.core.ml_messages). `gettext_noop` only marks a
template for Django's makemessages, which reads this package's sources; ml itself stays free of Django.
"""

from __future__ import annotations


def gettext_noop(template: str) -> str:
    """Marks `template` for the translation catalogue; returns it unchanged."""
    return template


class MessageError(ValueError):
    """An error with a machine-readable `code`, a `template` with `%(name)s` fields and their `params`;
    `message` is the English text."""

    def __init__(self, code: str, template: str, **params: object):
        self.code, self.template, self.params = code, template, params
        self.message = template % params if params else template
        super().__init__(self.message)
