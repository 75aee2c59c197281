"""Security headers Django does not set by itself: Permissions-Policy.

Content-Security-Policy comes from Django's own middleware (``SECURE_CSP`` in settings).
"""

# No page uses any of these browser features.
PERMISSIONS_POLICY = (
    "accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), "
    "microphone=(), payment=(), usb=()"
)


class PermissionsPolicyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        return response


def axes_username(request, credentials=None) -> str:
    """The username django-axes records for a failed login, cut to the column's length: a
    20,000-character username must be a failed login, not a database error."""
    username = (credentials or {}).get("username")
    if username is None and request is not None:
        username = request.POST.get("username", "")
    return str(username or "")[:150]
