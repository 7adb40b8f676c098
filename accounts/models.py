"""The user model. Custom from the start so fields can be added later without a painful swap."""

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _

from accounts.signals import password_changed


class User(AbstractUser):
    # Required and unique: it is where password-reset links go.
    email = models.EmailField(_("email address"), unique=True)
    # Privacy: when off, each photo is deleted once analysed; only results and face boxes stay.
    keep_photos = models.BooleanField(
        _("keep my photos"),
        default=True,
        help_text=_("When off, each photo is deleted as soon as it has been analysed; results and face boxes stay."),
    )
    # Empty: follow the browser (Accept-Language) or the footer switcher; set: wins over both (accounts.language).
    language = models.CharField(
        _("language"), max_length=8, blank=True, default="", choices=settings.LANGUAGES,
        help_text=_("The language of your pages on every device; empty follows the browser."),
    )

    class Meta(AbstractUser.Meta):
        swappable = "AUTH_USER_MODEL"

    def __str__(self) -> str:
        return self.username

    def save(self, *args, **kwargs) -> None:
        # set_password() keeps the new clear password until the next save; a rehash on sign-in clears it first, so
        # only a real change of an existing account's password counts.
        changed = self._password is not None and not self._state.adding
        super().save(*args, **kwargs)
        if changed:
            password_changed.send(sender=type(self), user=self)


class ApiToken(models.Model):
    """A named API key of one user. Only a SHA-256 digest of the key is stored: it is shown once, at creation."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=64)
    digest = models.CharField(max_length=64, unique=True, editable=False)
    prefix = models.CharField(max_length=12, editable=False,
                              help_text=_("The key's first characters, to recognise it."))
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("API token")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…) of {self.user}"
