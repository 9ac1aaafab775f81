from django import forms

from visitors.models import MAX_ID, Visitor


class VisitorForm(forms.ModelForm):
    class Meta:
        model = Visitor
        fields = ["name", "company", "message"]
        widgets = {
            "name": forms.TextInput(attrs={"autocomplete": "name", "autofocus": True}),
            "company": forms.TextInput(attrs={"autocomplete": "organization"}),
            "message": forms.Textarea(attrs={"rows": 3}),
        }
        error_messages = {"name": {"required": "Please tell us your name."}}


class PageForm(forms.Form):
    """The page's query string: `before`, the cursor to older visitors.

    Parameters it does not take (a page size, a tracking tag) are ignored, as a page does.
    """

    before = forms.IntegerField(min_value=1, max_value=MAX_ID, required=False)

    def clean(self):
        for name in self.fields:
            given = self.data.getlist(name)
            # Left out is fine; given but empty (`?before=`) is not a number, and given twice
            # is ambiguous rather than "the last one wins".
            if given == [""]:
                self.add_error(name, "Enter a whole number.")
            elif len(given) > 1:
                self.add_error(name, "Give this parameter once.")
        return super().clean()


class ApiPageForm(PageForm):
    """The API list's query string: the page's cursor and `limit`, the page size."""

    limit = forms.IntegerField(min_value=1, max_value=100, required=False)


def page_query(data, form_class):
    """A list's query string as (values, None), or (None, errors) when it is not valid.

    Most requests have none: they skip building a form, a measurable share of a cached page.
    """
    if not data:
        return dict.fromkeys(form_class.base_fields), None
    form = form_class(data)
    return (form.cleaned_data, None) if form.is_valid() else (None, form.errors)
