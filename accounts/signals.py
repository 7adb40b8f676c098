"""Signals of the accounts app.

`password_changed` is sent once an existing account's new password is saved, whichever way it was set
(password change page, reset link, admin, `manage.py changepassword`); `accounts.api_tokens` revokes
the account's API tokens on it.
"""

from django.dispatch import Signal

password_changed = Signal()  # sender: the User class; keyword `user`
