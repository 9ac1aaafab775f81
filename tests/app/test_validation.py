"""What a visitor may write: the form's and the model's rules, and what the database keeps."""

import pytest
from django.core.exceptions import ValidationError

from visitors.forms import VisitorForm
from visitors.models import Visitor

CONTROL_CHARACTERS = ["\x00", "\x07", "\x1b", "\x7f", "\x85", "\x0b", "\x0c"]
UNICODE_NAMES = [
    "Zoë 王芳 Øyvind",
    "👩🏽‍💻 Priya",  # skin tone modifier and zero-width joiner
    "José Ñúñez-Ærø",
    "محمد علي",
    "王" * 100,  # 100 characters, not 100 bytes
]


def form_errors(**data):
    form = VisitorForm(data={"name": "Ada", **data})
    return form, form.errors.as_data()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("sent", "saved"),
    [
        ("Ada", "Ada"),
        ("  Ada Lovelace \t", "Ada Lovelace"),
        ("x" * 100, "x" * 100),
        ("  " + "y" * 100 + "  ", "y" * 100),
    ],
    ids=["plain", "trimmed", "100-chars", "100-chars-after-trimming"],
)
def test_valid_names_are_saved_trimmed(sent, saved):
    form = VisitorForm(data={"name": sent})
    assert form.is_valid(), form.errors
    visitor = form.save()
    visitor.refresh_from_db()
    assert visitor.name == saved


@pytest.mark.parametrize(
    ("name", "message"),
    [
        (None, "Please tell us your name."),
        ("", "Please tell us your name."),
        ("   \t  ", "Please tell us your name."),
        ("\u3000\u00a0", "Please tell us your name."),  # Unicode spaces only
        ("x" * 101, "at most 100 characters"),
    ],
    ids=["missing", "empty", "whitespace", "unicode-whitespace", "101-chars"],
)
def test_invalid_names_are_rejected(name, message):
    data = {} if name is None else {"name": name}
    form = VisitorForm(data=data)
    assert not form.is_valid()
    assert list(form.errors) == ["name"]
    assert message in form.errors["name"][0]


@pytest.mark.django_db
@pytest.mark.parametrize("name", UNICODE_NAMES)
def test_unicode_names_are_stored_and_returned_exactly(name):
    form = VisitorForm(data={"name": name, "company": name[:100], "message": name})
    assert form.is_valid(), form.errors
    pk = form.save().pk
    stored = Visitor.objects.get(pk=pk)
    assert (stored.name, stored.company, stored.message) == (name, name[:100], name)


@pytest.mark.parametrize("field", ["name", "company", "message"])
@pytest.mark.parametrize("char", CONTROL_CHARACTERS, ids=lambda c: f"U+{ord(c):04X}")
def test_control_characters_are_rejected(field, char):
    form, errors = form_errors(**{field: f"Ada{char}Lovelace"})
    assert not form.is_valid()
    assert list(errors) == [field]
    assert any(
        error.code in {"control_character", "null_characters_not_allowed"}
        for error in errors[field]
    )


@pytest.mark.parametrize("field", ["name", "company"])
@pytest.mark.parametrize("char", ["\n", "\r", "\t"], ids=["LF", "CR", "TAB"])
def test_single_line_fields_reject_inner_line_breaks_and_tabs(field, char):
    form, errors = form_errors(**{field: f"Ada{char}Lovelace"})
    assert not form.is_valid()
    assert [error.code for error in errors[field]] == ["control_character"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "message", ["line one\nline two", "line one\r\nline two", "col1\tcol2", "a\n\n\tb"]
)
def test_message_keeps_newlines_and_tabs(message):
    form = VisitorForm(data={"name": "Ada", "message": message})
    assert form.is_valid(), form.errors
    visitor = form.save()
    visitor.refresh_from_db()
    assert visitor.message == message


@pytest.mark.parametrize("field", ["name", "company", "message"])
def test_lone_surrogate_is_rejected(field):
    form, errors = form_errors(**{field: "Ada \ud800"})
    assert not form.is_valid()
    assert [error.code for error in errors[field]] == ["control_character"]
    assert "U+D800" in form.errors[field][0]


@pytest.mark.parametrize(
    ("field", "limit"), [("company", 100), ("message", 500)], ids=["company", "message"]
)
@pytest.mark.parametrize("extra", [0, 1], ids=["at-limit", "over-limit"])
def test_length_limits(field, limit, extra):
    form, errors = form_errors(**{field: "z" * (limit + extra)})
    if extra:
        assert [error.code for error in errors[field]] == ["max_length"]
    else:
        assert form.is_valid(), form.errors


def test_company_and_message_are_optional():
    assert VisitorForm(data={"name": "Ada"}).is_valid()


@pytest.mark.parametrize(
    ("field", "value"),
    [("name", "Ada\x1bLovelace"), ("company", "ACME\x00"), ("message", "hi\x07"), ("name", "")],
)
def test_model_validation_applies_the_same_rules(field, value):
    visitor = Visitor(**{"name": "Ada", field: value})
    with pytest.raises(ValidationError) as caught:
        visitor.full_clean()
    assert list(caught.value.message_dict) == [field]


def test_visitor_str_shows_company_when_given():
    assert str(Visitor(name="Ada", company="Analytical Engines")) == "Ada (Analytical Engines)"
    assert str(Visitor(name="Ada")) == "Ada"
