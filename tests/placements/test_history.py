"""Parsing the course-copy history parameters."""

from app.placements.history import History, parse_history


def test_ids_newest_first():
    assert parse_history("B,A") == History(known=True, ids=("B", "A"))


def test_encoded_comma_inside_id():
    assert parse_history("course%2C2024,A") == History(known=True, ids=("course,2024", "A"))


def test_other_encoded_characters():
    assert parse_history("a%20b%25c") == History(known=True, ids=("a b%c",))


def test_trailing_truncation_marker_ignored():
    assert parse_history("C,B,A,...") == History(known=True, ids=("C", "B", "A"))
    assert parse_history("C,B,…") == History(known=True, ids=("C", "B"))
    assert parse_history("C,B,") == History(known=True, ids=("C", "B"))


def test_empty_value_is_known_and_empty():
    assert parse_history("") == History(known=True, ids=())
    assert parse_history("  ") == History(known=True, ids=())


def test_unexpanded_variable_is_unknown():
    assert parse_history("$Context.id.history") == History(known=False)
    assert parse_history("$ResourceLink.id.history") == History(known=False)
    assert parse_history("$Canvas.course.previousContextIds.recursive") == History(known=False)


def test_missing_or_non_text_is_unknown():
    assert parse_history(None) == History(known=False)
    assert parse_history(["A"]) == History(known=False)


def test_duplicates_and_oversized_ids_dropped():
    assert parse_history("A,A,B") == History(known=True, ids=("A", "B"))
    assert parse_history("x" * 300 + ",B") == History(known=True, ids=("B",))
