from django import forms
from django.utils.translation import gettext_lazy as _

from visitors.models import MAX_ID, Visitor
from visitors.validators import single_line

# The longest search: a name or a company is at most this long, so a longer one finds nobody.
SEARCH_MAX_LENGTH = Visitor._meta.get_field("name").max_length


class VisitorForm(forms.ModelForm):
    class Meta:
        model = Visitor
        fields = ["name", "company", "message"]
        widgets = {
            "name": forms.TextInput(attrs={"autocomplete": "name"}),
            "company": forms.TextInput(attrs={"autocomplete": "organization"}),
            "message": forms.Textarea(attrs={"rows": 3}),
        }
        error_messages = {"name": {"required": _("Please tell us your name.")}}


class PageForm(forms.Form):
    """The page's query string: `before`, the cursor to older visitors, and `q`, a search.

    Parameters it does not take (a page size, a tracking tag) are ignored, as a page does.
    """

    before = forms.IntegerField(min_value=1, max_value=MAX_ID, required=False)
    q = forms.CharField(max_length=SEARCH_MAX_LENGTH, required=False, validators=[single_line])
    # A search box sent empty means "everyone"; an empty cursor is no number.
    may_be_empty = {"q"}

    def clean(self):
        for name in self.fields:
            given = self.data.getlist(name)
            # Left out is fine; given but empty (`?before=`) is no value, and given twice is
            # ambiguous rather than "the last one wins".
            if len(given) > 1:
                self.add_error(name, _("Give this parameter once."))
            elif given and not given[0].strip() and name not in self.may_be_empty:
                self.add_error(name, self.fields[name].error_messages["required"])
        return super().clean()


class ApiPageForm(PageForm):
    """The API list's query string: the page's, `limit` (the page size) and `present`."""

    limit = forms.IntegerField(min_value=1, max_value=100, required=False)
    present = forms.TypedChoiceField(
        choices=[("true", "true"), ("false", "false")],
        coerce=lambda value: value == "true",
        empty_value=None,
        required=False,
    )
    may_be_empty = set()


def page_query(data, form_class):
    """A list's query string as (values, None), or (None, errors) when it is not valid.

    Most requests have none: they skip building a form, a measurable share of a cached page.
    """
    if not data:
        return dict.fromkeys(form_class.base_fields), None
    form = form_class(data)
    return (form.cleaned_data, None) if form.is_valid() else (None, form.errors)
