from django.core.management.base import BaseCommand
from django.utils.translation import ngettext

from visitors.models import Visitor


class Command(BaseCommand):
    # English, as every command's --help is (argparse takes no lazy translation).
    help = "Sign out everyone still in the building (at the end of the day)."

    def handle(self, *args, **options):
        count = Visitor.objects.sign_out()
        message = ngettext("Signed out %(count)d visitor.", "Signed out %(count)d visitors.", count)
        self.stdout.write(message % {"count": count})
