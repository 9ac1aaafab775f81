from datetime import datetime, time, timedelta

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from visitors.compiled import CompiledQuery
from visitors.validators import multi_line, single_line

# The largest id PostgreSQL's bigint holds: a larger one in a URL or cursor names nobody.
MAX_ID = 2**63 - 1


# PostgreSQL functions that migration 0002 makes, immutable so an index can hold their result:
# visitors_fold(text) is the text in lower case without accents ("São" -> "sao");
# visitors_searched(name, company) folds what a search looks in, and a trigram index of it
# (visitor_search_idx) finds words inside names: LIKE '%sao%'.
class Folded(models.Func):
    function = "visitors_fold"
    output_field = models.TextField()


class Searched(models.Func):
    function = "visitors_searched"
    output_field = models.TextField()


def start_of_today():
    """Midnight in the site's time zone (TIME_ZONE)."""
    return timezone.make_aware(datetime.combine(timezone.localdate(), time.min))


class VisitorQuerySet(models.QuerySet):
    def today(self):
        """Visitors who signed in since midnight in the site's time zone (TIME_ZONE)."""
        return self.since(start_of_today())

    def since(self, moment):
        return self.filter(created_at__gte=moment)

    def present(self):
        """Visitors still in the building: signed in, not yet signed out."""
        return self.filter(signed_out_at__isnull=True)

    def signed_out(self):
        return self.filter(signed_out_at__isnull=False)

    def search(self, text):
        """Visitors whose name or company contains `text`, ignoring case and accents."""
        searched = Searched("name", "company")
        return self.alias(searched=searched).filter(searched__contains=Folded(models.Value(text)))

    def sign_out(self, when=None):
        """Signs out those still in; returns how many. One UPDATE: two front desks signing out
        the same visitor at once sign them out once, at the first one's time."""
        return self.present().update(signed_out_at=when or timezone.now())

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
    name = models.CharField(_("name"), max_length=100, validators=[single_line])
    company = models.CharField(_("company"), max_length=100, blank=True, validators=[single_line])
    message = models.TextField(_("message"), max_length=500, blank=True, validators=[multi_line])
    created_at = models.DateTimeField(
        _("signed in at"), default=timezone.now, editable=False, db_index=True
    )
    signed_out_at = models.DateTimeField(_("signed out at"), null=True, blank=True, editable=False)

    objects = VisitorQuerySet.as_manager()

    class Meta:
        # Ids grow with every insert, so they order visitors by arrival and give pages a
        # stable cursor: "before id N" never repeats or skips anyone while others sign in.
        ordering = ["-id"]
        verbose_name = _("visitor")
        verbose_name_plural = _("visitors")
        indexes = [
            # Who is in the building is read on every page: a small index of them alone.
            models.Index(
                fields=["-id"], condition=models.Q(signed_out_at__isnull=True), name="present_idx"
            ),
        ]

    def __str__(self):
        return f"{self.name} ({self.company})" if self.company else self.name

    def as_json(self):
        return {
            "id": self.id,
            "name": self.name,
            "company": self.company,
            "message": self.message,
            "created_at": self.created_at.isoformat(),
            "signed_out_at": self.signed_out_at and self.signed_out_at.isoformat(),
        }


# The hottest reads, compiled to SQL once (visitors/compiled.py): the API's one visitor, and
# the count of those in the building an htmx sign-in answers with.
VISITOR_BY_ID = CompiledQuery(lambda pk: Visitor.objects.filter(pk=pk)[:1], pk=int)
PRESENT_SINCE = CompiledQuery(lambda since: Visitor.objects.since(since).present(), since=datetime)
