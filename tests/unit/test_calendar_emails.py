"""The e-mail log: records beside the activities, in timelines and search, within bounds."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import pytest

from leadcore import Leadcore, ManualClock, NotFound, Session, ValidationError
from leadcore.calendar import ClientRef, Email, EmailDirection
from leadcore.calendar._emails import MAX_ADDRESSES, MAX_EXCERPT, MAX_SUBJECT
from leadcore.ids import SequentialIds

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def core() -> Leadcore:
    return Leadcore.open(clock=ManualClock(NOW), ids=SequentialIds())


@pytest.fixture
def s(core: Leadcore) -> Session:
    _, dana = core.create_organization("Star Media", admin_name="Dana")
    return core.session(dana.id)


def log(
    s: Session,
    subject: str,
    hours: int = 0,
    *,
    clients: Sequence[str] = (),
    activity_ids: Sequence[str] = (),
) -> Email:
    return s.emails.create(
        "out",
        "dana@star.example",
        ["yossi@example.com"],
        subject,
        NOW + timedelta(hours=hours),
        clients=clients,
        activity_ids=activity_ids,
    )


def test_an_email_is_stored_with_its_links_and_a_bounded_excerpt(s: Session) -> None:
    lead = s.leads.create("Yossi")
    email = s.emails.create(
        "in",
        "yossi@example.com",
        ["dana@star.example"],
        "Re: price list",
        NOW,
        cc=["noa@star.example"],
        body="  " + "שלום " * 1000,
        attachments=["הצעה.pdf"],
        clients=[lead.id, f"lead:{lead.id}"],
    )
    assert email.direction is EmailDirection.INCOMING
    assert email.clients == (ClientRef("lead", lead.id),)
    assert len(email.excerpt) == MAX_EXCERPT
    assert email.excerpt.startswith("שלום")
    assert email.created_by == s.user_id
    assert s.emails.get(email.id) == email
    assert s.emails.list(client=lead.id).items == (email,)


def test_the_log_is_newest_first_a_page_at_a_time(s: Session) -> None:
    for hour in range(5):
        log(s, f"#{hour}", hour)
    seen: list[str] = []
    page = s.emails.list(limit=2)
    while True:
        seen += [e.subject for e in page.items]
        if page.next is None:
            break
        page = s.emails.list(limit=2, after=page.next)
    assert seen == ["#4", "#3", "#2", "#1", "#0"]
    with pytest.raises(ValidationError, match="after"):
        s.emails.list(after="not a cursor")
    with pytest.raises(ValidationError, match="limit"):
        s.emails.list(limit=0)


def test_bad_emails_name_every_problem_and_write_nothing(s: Session) -> None:
    with pytest.raises(ValidationError) as caught:
        s.emails.create(
            "sideways",
            "nobody",
            [],
            "x" * (MAX_SUBJECT + 1),
            datetime(2026, 3, 2),
            cc=["a@b.c"] * (MAX_ADDRESSES + 1),
            attachments=[""],
        )
    assert [p.split(":")[0] for p in caught.value.problems] == [
        "direction",
        "sender",
        "to",
        "cc",
        "subject",
        "sent_at",
        "attachments[0]",
    ]
    with pytest.raises(NotFound):
        log(s, "to nobody", clients=["lead-404"])
    with pytest.raises(NotFound):
        log(s, "about nothing", activity_ids=["activity-404"])
    with pytest.raises(NotFound):
        s.emails.get("email-404")
    assert s.emails.list().items == ()


def test_emails_show_in_the_client_timeline_and_in_search(s: Session) -> None:
    lead = s.leads.create("Yossi")
    other = s.leads.create("Noa")
    demo = s.calendar.create(
        "Demo", start=NOW + timedelta(days=1), end=NOW + timedelta(days=1, hours=1), client=lead.id
    ).activity
    sent = log(s, "Price list", clients=[lead.id], activity_ids=[demo.id])
    reply = log(s, "Re: price list", 2, clients=[lead.id])
    log(s, "Something else", clients=[other.id])
    timeline = s.calendar.client_timeline(lead.id)
    assert [e.title for e in timeline.entries if hasattr(e, "title")] == ["Demo"]
    assert timeline.emails == (sent, reply)
    found = s.calendar.search(text="price")
    assert found.items == ()
    assert found.emails == (reply, sent)
    assert s.calendar.search(clients=[other.id]).emails[0].subject == "Something else"
    # E-mails have no type or status: filtering by one leaves them out.
    assert s.calendar.search(text="price", type_ids=["kickoff"]).emails == ()
    assert s.emails.list(activity_id=demo.id).items == (sent,)


def test_an_email_of_an_activity_is_seen_only_by_who_may_see_the_activity(
    core: Leadcore, s: Session
) -> None:
    avi = core.session(s.users.create("Avi", "salesperson").id)
    lead = s.leads.create("Yossi")
    private = s.calendar.create(
        "Private call",
        start=NOW + timedelta(hours=3),
        end=NOW + timedelta(hours=4),
        privacy="private",
    ).activity
    hidden = log(s, "About the private call", activity_ids=[private.id], clients=[lead.id])
    shared = log(s, "General", 1, clients=[lead.id])
    assert avi.emails.list().items == (shared,)
    with pytest.raises(NotFound):
        avi.emails.get(hidden.id)
    with pytest.raises(NotFound):
        log(avi, "Linking what I cannot see", activity_ids=[private.id])
    assert avi.calendar.search(text="private").emails == ()
    assert s.emails.get(hidden.id) == hidden


def test_another_organisation_sees_no_email(core: Leadcore, s: Session) -> None:
    email = log(s, "Ours")
    _, ori = core.create_organization("Other", admin_name="Ori")
    theirs = core.session(ori.id)
    with pytest.raises(NotFound):
        theirs.emails.get(email.id)
    assert theirs.emails.list().items == ()
    assert theirs.calendar.search().emails == ()
