"""`{% api_tokens_section %}`: the profile page's list of API tokens with create and revoke forms."""

from django import template

from accounts import api_tokens
from accounts.views_tokens import pop_new_token

register = template.Library()


@register.inclusion_tag("accounts/_api_tokens.html", takes_context=True)
def api_tokens_section(context) -> dict:
    request = context["request"]
    return {
        "tokens": list(api_tokens.token_list(user=request.user)),
        "new_token": pop_new_token(request),
        "max_tokens": api_tokens.MAX_TOKENS_PER_USER,
        "csrf_token": context.get("csrf_token"),
    }
