#!/usr/bin/env python
"""Django's command-line utility for administrative tasks."""

import os
import sys

if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "visitors_site.settings")
    import django
    from django.core.management import execute_from_command_line

    # The apps first: the command's language (the shell's locale) loads their catalogs.
    django.setup()
    from visitors.i18n import activate_for_command

    activate_for_command()
    execute_from_command_line(sys.argv)
