import random
from datetime import timedelta

from django.core.management.base import BaseCommand
from django.utils import timezone

from visitors.management.arguments import whole_number
from visitors.models import Visitor

FIRST_NAMES = [
    "Amara",
    "Björn",
    "Chiara",
    "Dmitri",
    "Elif",
    "Farah",
    "Gustavo",
    "Hana",
    "Ines",
    "Jamal",
    "Keiko",
    "Lars",
    "Maëlle",
    "Nikolai",
    "Olumide",
    "Priya",
    "Quentin",
    "Rosa",
    "Søren",
    "Tomás",
    "Uma",
    "Valentina",
    "Wei",
    "Xochitl",
    "Yusuf",
    "Zoë",
    "José",
    "Aoife",
    "Łukasz",
]
LAST_NAMES = [
    "Adeyemi",
    "Bergström",
    "Castillo",
    "Dubois",
    "Eriksen",
    "Fischer",
    "García",
    "Hoang",
    "Ivanova",
    "Jensen",
    "Kowalski",
    "Li",
    "Müller",
    "Nakamura",
    "O'Brien",
    "Patel",
    "Quispe",
    "Rossi",
    "Schmidt",
    "Tanaka",
    "Umarov",
    "Van Dijk",
    "Wójcik",
    "Yilmaz",
    "Zhang",
]
COMPANIES = [
    "",
    "",
    "Acme Logistics",
    "Northwind Traders",
    "Globex",
    "Initech",
    "Umbrella Health",
    "Stark Industries",
    "Wayne Enterprises",
    "Hooli",
    "Vandelay Imports",
    "Blue Sky Studio",
    "Contoso",
    "Fabrikam",
    "Tyrell Biotech",
    "Cyberdyne Systems",
]
MESSAGES = [
    "",
    "",
    "",
    "Here for the 10:00 meeting with facilities.",
    "Delivering the new badges.",
    "Interview for the designer role.",
    "Picking up a parcel for Ana.",
    "Quarterly review with finance.",
    "Fixing the coffee machine ☕",
    "Workshop: accessibility audit, room 3.",
    "Guest of the CEO.",
]


class Command(BaseCommand):
    help = (
        "Add N realistic fake visitors, spread over the past days, for demos and benchmarks "
        "(those whose visit has not ended yet are still in the building)."
    )

    def add_arguments(self, parser):
        parser.add_argument("count", type=whole_number, help="how many visitors to add")
        parser.add_argument(
            "--days",
            type=whole_number,
            default=30,
            help="spread them over this many past days (default 30)",
        )
        parser.add_argument("--seed", type=int, help="random seed, for repeatable data")

    def handle(self, *args, count, days, seed, **options):
        rng = random.Random(seed)  # noqa: S311 - demo data, not secrets
        now = timezone.now()
        # Ascending times, so arrival order (the id) and created_at agree.
        offsets = sorted((rng.uniform(0, days * 86400) for _ in range(count)), reverse=True)
        visitors = []
        for offset in offsets:
            arrived = now - timedelta(seconds=offset)
            # A visit lasts from a quarter of an hour to four hours; those whose visit has
            # not ended yet are still in the building.
            left = arrived + timedelta(minutes=rng.uniform(15, 4 * 60))
            visitors.append(
                Visitor(
                    name=f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}",
                    company=rng.choice(COMPANIES),
                    message=rng.choice(MESSAGES),
                    created_at=arrived,
                    signed_out_at=left if left < now else None,
                )
            )
        Visitor.objects.bulk_create(visitors, batch_size=1000)
        self.stdout.write(f"Added {count} visitors.")
