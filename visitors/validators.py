import unicodedata

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _


class PrintableTextValidator:
    """Rejects control characters (and lone surrogates, which PostgreSQL cannot store).

    `allowed` names the whitespace controls a multi-line field may keep, such as newlines.
    """

    def __init__(self, allowed=""):
        self.allowed = allowed

    def __call__(self, value):
        for char in value:
            if char not in self.allowed and unicodedata.category(char) in {"Cc", "Cs"}:
                raise ValidationError(
                    _("Control characters (such as U+%(code)04X) are not allowed."),
                    code="control_character",
                    params={"code": ord(char)},
                )

    def __eq__(self, other):
        return isinstance(other, PrintableTextValidator) and self.allowed == other.allowed

    def deconstruct(self):
        kwargs = {"allowed": self.allowed} if self.allowed else {}
        return ("visitors.validators.PrintableTextValidator", (), kwargs)


single_line = PrintableTextValidator()
multi_line = PrintableTextValidator(allowed="\n\r\t")
