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
    """The query string of a list of visitors: `before` is the cursor, `limit` the page size."""

    before = forms.IntegerField(min_value=1, max_value=MAX_ID, required=False)
    limit = forms.IntegerField(min_value=1, max_value=100, required=False)

    def clean(self):
        # Left out is fine; given but empty (`?before=`) is not a number.
        for name in self.fields:
            if self.data.get(name) == "":
                self.add_error(name, "Enter a whole number.")
        return super().clean()


def page_query(data):
    """A list's query string as (values, None), or (None, errors) when it is not valid.

    Most requests have none: they skip building a form, a measurable share of a cached page.
    """
    if not data:
        return {"before": None, "limit": None}, None
    form = PageForm(data)
    return (form.cleaned_data, None) if form.is_valid() else (None, form.errors)
