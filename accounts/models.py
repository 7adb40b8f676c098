"""The user model. Custom from the start so fields can be added later without a painful swap."""

from django.contrib.auth.models import AbstractUser
from django.db import models


class User(AbstractUser):
    # Required and unique: it is where password-reset links go.
    email = models.EmailField("email address", unique=True)

    class Meta(AbstractUser.Meta):
        swappable = "AUTH_USER_MODEL"

    def __str__(self) -> str:
        return self.username
