"""Django authentication backend: the password check every door goes through."""

import logging

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend

from . import lockout

logger = logging.getLogger(__name__)


class LockoutModelBackend(ModelBackend):
    """Django's username/password check behind the failed-login lockout.

    `authenticate()` is what the API login, simplejwt's token view, the /login page and the
    admin login all call, so each of them is locked out and counted here, the same way.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is None:
            username = kwargs.get(get_user_model().USERNAME_FIELD)
        if not isinstance(username, str) or password is None:
            return None
        client_ip = lockout.client_address(request)
        lockout.check_not_locked_out(client_ip=client_ip, username=username)
        user = super().authenticate(request, username=username, password=password, **kwargs)
        if user is None:
            lockout.login_failure_record(client_ip=client_ip, username=username)
            logger.info("failed login for %r from %s", username[:150], client_ip)
        return user
