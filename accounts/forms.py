"""Account forms: input validation only; persistence lives in accounts.services."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib.auth.forms import UserCreationForm
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from accounts.selectors import user_email_taken


class SignUpForm(UserCreationForm):
    email = forms.EmailField(
        required=True,
        label=_("E-mail"),
        help_text=_("Used only to send you password-reset links."),
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )

    class Meta(UserCreationForm.Meta):
        model = User
        fields = ("username", "email")

    def clean_email(self) -> str:
        email = self.cleaned_data["email"]
        if user_email_taken(email=email):
            raise forms.ValidationError(_("An account with this e-mail address already exists."))
        return email


class ProfileForm(forms.Form):
    first_name = forms.CharField(label=_("First name"), max_length=150, required=False)
    last_name = forms.CharField(label=_("Last name"), max_length=150, required=False)
    email = forms.EmailField(label=_("E-mail"), widget=forms.EmailInput(attrs={"autocomplete": "email"}))
    language = forms.ChoiceField(
        label=_("Language"), required=False, choices=[("", _("As my browser asks")), *settings.LANGUAGES],
        help_text=_("Used on every device you sign in from."),
    )

    def __init__(self, *args, user: User, **kwargs) -> None:
        self.user = user
        current = {"first_name": user.first_name, "last_name": user.last_name, "email": user.email,
                   "language": user.language}
        kwargs["initial"] = {**current, **(kwargs.get("initial") or {})}
        super().__init__(*args, **kwargs)

    def clean_email(self) -> str:
        email = self.cleaned_data["email"]
        if user_email_taken(email=email, exclude_user_id=self.user.pk):
            raise forms.ValidationError(_("Another account already uses this e-mail address."))
        return email
