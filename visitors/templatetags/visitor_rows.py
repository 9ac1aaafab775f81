from django import template
from django.template.loader import render_to_string

from visitors import freshness

register = template.Library()


@register.simple_tag
def visitor_row(visitor):
    """The visitor's row (the page's `visitor` partial), rendered once for what it shows: the
    key is every field of the visitor, so an edit in the admin gives a new row."""
    fields = tuple(getattr(visitor, field.attname) for field in visitor._meta.concrete_fields)
    return freshness.fragment(
        ("visitor-row", fields),
        lambda: render_to_string("visitors/index.html#visitor", {"visitor": visitor}),
    )
