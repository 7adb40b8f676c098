from django.apps import AppConfig


class AccountsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "accounts"
    verbose_name = "Accounts"

    def ready(self) -> None:
        from accounts.api_tokens import revoke_on_password_change
        from accounts.signals import password_changed

        password_changed.connect(revoke_on_password_change, dispatch_uid="revoke-api-tokens-on-password-change")
