"""Keys a company's own server uses to plug any channel into cxhub through the REST API."""

from django.db import models

from cxhub.conversations.models import Site


class ApiKey(models.Model):
    """Shown once when created; only its SHA-256 is stored. The prefix finds the row without the secret."""

    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="api_keys")
    name = models.CharField(max_length=200, help_text="Who uses it, e.g. “Call-centre bridge”.")
    prefix = models.CharField(max_length=16, unique=True, editable=False)
    key_hash = models.CharField(max_length=64, editable=False)
    revoked = models.BooleanField(default=False)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.name} (cxk_{self.prefix}_…)"
