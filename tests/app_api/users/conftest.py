from tests.app_api.auth.helpers import cheap_argon2

__all__ = ["cheap_argon2"]
