"""The e-mail log: any text either comes back exactly as logged or is refused, storing nothing."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from leadcore import Leadcore, ValidationError
from leadcore.calendar._emails import MAX_EXCERPT, excerpt_of

TEXT = st.text(st.characters(codec="utf-8"), max_size=300)
SENT = datetime(2026, 3, 2, 9, tzinfo=UTC)


def check_text_round_trip(
    core: Leadcore, subject: str, body: str, attachment: str, local: str
) -> None:
    """Log one e-mail of drawn text in ``core``; it reads back whole, or nothing is stored."""
    _, dana = core.create_organization("Star Media", admin_name="Dana")
    s = core.session(dana.id)
    try:
        email = s.emails.create(
            "out",
            f"{local}@star.example",
            [f"{local}@example.com"],
            subject,
            SENT,
            body=body,
            attachments=[attachment],
        )
    except ValidationError:
        assert s.emails.list().items == ()
        return
    assert s.emails.get(email.id) == email
    assert (email.subject, email.attachments, email.excerpt) == (
        subject,
        (attachment,),
        excerpt_of(body),
    )
    assert len(email.excerpt) <= MAX_EXCERPT


@settings(max_examples=60)
@given(subject=TEXT, body=TEXT, attachment=TEXT, local=TEXT)
def test_logged_text_comes_back_exactly_or_is_refused(
    subject: str, body: str, attachment: str, local: str
) -> None:
    check_text_round_trip(Leadcore.open(), subject, body, attachment, local)


@given(
    body=st.text(st.characters(codec="utf-8"), min_size=MAX_EXCERPT - 5, max_size=MAX_EXCERPT * 3)
)
def test_the_excerpt_never_exceeds_its_bound(body: str) -> None:
    excerpt = excerpt_of(body)
    assert len(excerpt) <= MAX_EXCERPT
    assert body.strip().startswith(excerpt)
