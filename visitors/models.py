from datetime import datetime, time, timedelta

from django.db import models
from django.utils import timezone

from visitors.validators import multi_line, single_line

# The largest id PostgreSQL's bigint holds: a larger one in a URL or cursor names nobody.
MAX_ID = 2**63 - 1


class VisitorQuerySet(models.QuerySet):
    def today(self):
        """Visitors who signed in since midnight in the site's time zone (TIME_ZONE)."""
        midnight = datetime.combine(timezone.localdate(), time.min)
        return self.filter(created_at__gte=timezone.make_aware(midnight))

    def older_than(self, days):
        """Visitors who signed in more than `days` days ago, and that moment."""
        cutoff = timezone.now() - timedelta(days=days)
        return self.filter(created_at__lt=cutoff), cutoff

    def page(self, before=None, size=20):
        """The `size` newest visitors older than id `before`, and the cursor for the next page.

        The cursor is None on the last page.
        """
        older = self if before is None else self.filter(id__lt=before)
        rows = list(older.order_by("-id")[: size + 1])
        return rows[:size], (rows[size - 1].id if len(rows) > size else None)


class Visitor(models.Model):
    name = models.CharField(max_length=100, validators=[single_line])
    company = models.CharField(max_length=100, blank=True, validators=[single_line])
    message = models.TextField(max_length=500, blank=True, validators=[multi_line])
    created_at = models.DateTimeField(default=timezone.now, editable=False, db_index=True)

    objects = VisitorQuerySet.as_manager()

    class Meta:
        # Ids grow with every insert, so they order visitors by arrival and give pages a
        # stable cursor: "before id N" never repeats or skips anyone while others sign in.
        ordering = ["-id"]

    def __str__(self):
        return f"{self.name} ({self.company})" if self.company else self.name

    def as_json(self):
        return {
            "id": self.id,
            "name": self.name,
            "company": self.company,
            "message": self.message,
            "created_at": self.created_at.isoformat(),
        }
