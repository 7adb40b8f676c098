"""Admin for users and API tokens. Tokens are listed without their digest and revoked by an action;
they are never created or edited here (a key is shown once, to its owner, when created)."""

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from accounts import api_tokens
from accounts.models import ApiToken, User

admin.site.register(User, UserAdmin)


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["name", "user", "prefix", "created_at", "last_used_at"]
    list_filter = ["created_at", "last_used_at", ("user", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["name", "prefix", "user__username", "user__email"]
    list_select_related = ["user"]
    ordering = ["-created_at"]
    fields = ["name", "user", "prefix", "created_at", "last_used_at"]
    readonly_fields = fields
    actions = ["revoke"]

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)  # "Revoke" says what deleting a token means
        return actions

    @admin.action(description=_("Revoke selected tokens (programs using them can no longer sign in)"),
                  permissions=["delete"])
    def revoke(self, request, queryset) -> None:
        count = api_tokens.token_revoke_selected(tokens=queryset)
        self.message_user(request, ngettext("Revoked %(n)d API token.", "Revoked %(n)d API tokens.", count)
                          % {"n": count}, messages.SUCCESS)
