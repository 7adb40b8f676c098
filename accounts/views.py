"""Account pages. Thin: forms validate, services write, selectors read."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect
from django.urls import reverse_lazy
from django.utils import translation
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.views.generic import FormView

from accounts.forms import ProfileForm, SignUpForm
from accounts.selectors import user_profile_summary
from accounts.services import user_create, user_update_profile

# Named explicitly because several backends are configured (django-axes comes first).
MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"


@method_decorator(login_not_required, name="dispatch")
class SignUpView(FormView):
    template_name = "registration/signup.html"
    form_class = SignUpForm
    success_url = reverse_lazy("analysis:analyze")

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.user.is_authenticated:
            return redirect(self.success_url)
        return super().dispatch(request, *args, **kwargs)

    def form_valid(self, form: SignUpForm) -> HttpResponse:
        user = user_create(
            username=form.cleaned_data["username"],
            email=form.cleaned_data["email"],
            password=form.cleaned_data["password1"],
        )
        login(self.request, user, backend=MODEL_BACKEND)
        messages.success(self.request, _("Welcome, %(name)s. Your account is ready.") % {"name": user.get_username()})
        return HttpResponseRedirect(self.get_success_url())


class ProfileView(FormView):
    template_name = "accounts/profile.html"
    form_class = ProfileForm
    success_url = reverse_lazy("accounts:profile")

    def get_form_kwargs(self) -> dict[str, Any]:
        return {**super().get_form_kwargs(), "user": self.request.user}

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return {**super().get_context_data(**kwargs), "summary": user_profile_summary(user=self.request.user)}

    def form_valid(self, form: ProfileForm) -> HttpResponse:
        user = user_update_profile(user=self.request.user, **form.cleaned_data)
        if user.language:  # the confirmation already speaks the chosen language
            translation.activate(user.language)
        messages.success(self.request, _("Profile saved."))
        return HttpResponseRedirect(self.get_success_url())
