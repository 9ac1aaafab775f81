from django.core.management.base import BaseCommand

from visitors.export import write_csv, write_json
from visitors.models import Visitor


class Command(BaseCommand):
    help = "Write every visitor, newest first, to standard output as CSV or JSON."

    def add_arguments(self, parser):
        parser.add_argument("--format", choices=["csv", "json"], default="csv")

    def handle(self, *args, format, **options):
        visitors = Visitor.objects.order_by("-id").iterator(chunk_size=2000)
        writer = write_csv if format == "csv" else write_json
        writer(visitors, self.stdout)
