"""The language each answer speaks: the visitor's for pages, English for programs.

Pages take it from the language cookie that the masthead's switcher sets (Django's
set_language), else from Accept-Language, else English. The API under /api always answers in
English whatever the client asks: its messages are read by programs, and its field names are
never translated anyway. Management commands speak the shell's locale.
"""

from django.conf import settings
from django.middleware import locale
from django.utils import translation
from django.utils.cache import patch_vary_headers

from visitors import errors


class LocaleMiddleware(locale.LocaleMiddleware):
    """Django's, with /api kept in English and `Vary: Cookie` for the switcher's cookie."""

    def process_request(self, request):
        if errors.is_api(request):
            # Activated all the same: a thread keeps the last request's language otherwise.
            translation.activate(settings.LANGUAGE_CODE)
            request.LANGUAGE_CODE = settings.LANGUAGE_CODE
            return
        super().process_request(request)

    def process_response(self, request, response):
        if errors.is_api(request):
            return response
        response = super().process_response(request, response)
        patch_vary_headers(response, ("Cookie",))
        return response


def command_language(locale_names):
    """The first of LANGUAGES that a POSIX locale list names ("pt_BR.UTF-8:en"), else English."""
    for name in locale_names.split(":"):
        code = translation.to_language(name.partition(".")[0].partition("@")[0])
        try:
            return translation.get_supported_language_variant(code)
        except LookupError:
            continue
    return settings.LANGUAGE_CODE


def activate_for_command():
    """Makes this management command speak the shell's language (VISITORS_COMMAND_LOCALE)."""
    translation.activate(command_language(settings.VISITORS_COMMAND_LOCALE))
