"""The recurrence examples of RFC 5545, section 3.8.5.3, as a table.

Every example starts in America/New_York (the RFC's own zone), so the table
also checks that the wall-clock time holds across the 1997 and 1998 changes
between EDT and EST. "Forever" rules are compared on their first occurrences.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from leadcore.calendar import Activity, Recurrence, expand

NY = ZoneInfo("America/New_York")


def d(*items: str, at: str = "0900") -> list[str]:
    """Expected starts: ``"19970902"`` items, each at the same wall time ``at``."""
    return [f"{item}T{at}" for item in items]


def days(month: str, *numbers: int, at: str = "0900") -> list[str]:
    return [f"{month}{n:02d}T{at}" for n in numbers]


def series(dtstart: str, rule: str, exdates: tuple[str, ...] = ()) -> Activity:
    start = datetime.strptime(dtstart, "%Y%m%dT%H%M%S").replace(tzinfo=NY)
    return Activity(
        id="rfc",
        organization_id="org",
        type_id="meeting",
        status_id="open",
        title="RFC example",
        responsible_user_id="u1",
        start=start,
        end=start + timedelta(hours=1),
        tz="America/New_York",
        recurrence=Recurrence(
            rule,
            exdates=[datetime.strptime(x, "%Y%m%dT%H%M%S").replace(tzinfo=NY) for x in exdates],
        ),
    )


def walls(activity: Activity, first: int, years: int = 12) -> list[str]:
    start = activity.start
    assert isinstance(start, datetime)
    found = expand(activity, start, start + timedelta(days=366 * years)).occurrences
    return [o.starts_at.astimezone(NY).strftime("%Y%m%dT%H%M") for o in found][:first]


EXAMPLES: list[tuple[str, str, str, tuple[str, ...], list[str], bool]] = [
    # (what, DTSTART, RRULE, EXDATE, expected starts, whether the list is complete)
    ("daily for 10", "19970902T090000", "FREQ=DAILY;COUNT=10", (),
     days("199709", *range(2, 12)), True),
    ("daily until Dec 24", "19970902T090000", "FREQ=DAILY;UNTIL=19971224T000000Z", (),
     days("199709", *range(2, 31)) + days("199710", *range(1, 32))
     + days("199711", *range(1, 31)) + days("199712", *range(1, 24)), True),
    ("every other day", "19970902T090000", "FREQ=DAILY;INTERVAL=2", (),
     days("199709", *range(2, 31, 2)) + days("199710", 2, 4), False),
    ("every 10 days, 5 times", "19970902T090000", "FREQ=DAILY;INTERVAL=10;COUNT=5", (),
     days("199709", 2, 12, 22) + days("199710", 2, 12), True),
    ("every day in January for 3 years (yearly)", "19980101T090000",
     "FREQ=YEARLY;UNTIL=20000131T140000Z;BYMONTH=1;BYDAY=SU,MO,TU,WE,TH,FR,SA", (),
     days("199801", *range(1, 32)) + days("199901", *range(1, 32))
     + days("200001", *range(1, 32)), True),
    ("every day in January for 3 years (daily)", "19980101T090000",
     "FREQ=DAILY;UNTIL=20000131T140000Z;BYMONTH=1", (),
     days("199801", *range(1, 32)) + days("199901", *range(1, 32))
     + days("200001", *range(1, 32)), True),
    ("weekly for 10", "19970902T090000", "FREQ=WEEKLY;COUNT=10", (),
     days("199709", 2, 9, 16, 23, 30) + days("199710", 7, 14, 21, 28) + days("199711", 4),
     True),
    ("weekly until Dec 24", "19970902T090000", "FREQ=WEEKLY;UNTIL=19971224T000000Z", (),
     days("199709", 2, 9, 16, 23, 30) + days("199710", 7, 14, 21, 28)
     + days("199711", 4, 11, 18, 25) + days("199712", 2, 9, 16, 23), True),
    ("every other week", "19970902T090000", "FREQ=WEEKLY;INTERVAL=2;WKST=SU", (),
     days("199709", 2, 16, 30) + days("199710", 14, 28) + days("199711", 11, 25)
     + days("199712", 9, 23) + days("199801", 6, 20) + days("199802", 3, 17), False),
    ("Tuesday and Thursday for five weeks (until)", "19970902T090000",
     "FREQ=WEEKLY;UNTIL=19971007T000000Z;WKST=SU;BYDAY=TU,TH", (),
     days("199709", 2, 4, 9, 11, 16, 18, 23, 25, 30) + days("199710", 2), True),
    ("Tuesday and Thursday for five weeks (count)", "19970902T090000",
     "FREQ=WEEKLY;COUNT=10;WKST=SU;BYDAY=TU,TH", (),
     days("199709", 2, 4, 9, 11, 16, 18, 23, 25, 30) + days("199710", 2), True),
    ("every other week on MO, WE, FR until Dec 24", "19970901T090000",
     "FREQ=WEEKLY;INTERVAL=2;UNTIL=19971224T000000Z;WKST=SU;BYDAY=MO,WE,FR", (),
     days("199709", 1, 3, 5, 15, 17, 19, 29) + days("199710", 1, 3, 13, 15, 17, 27, 29, 31)
     + days("199711", 10, 12, 14, 24, 26, 28) + days("199712", 8, 10, 12, 22), True),
    ("every other week on TU and TH, 8 times", "19970902T090000",
     "FREQ=WEEKLY;INTERVAL=2;COUNT=8;WKST=SU;BYDAY=TU,TH", (),
     days("199709", 2, 4, 16, 18, 30) + days("199710", 2, 14, 16), True),
    ("first Friday, 10 times", "19970905T090000", "FREQ=MONTHLY;COUNT=10;BYDAY=1FR", (),
     d("19970905", "19971003", "19971107", "19971205", "19980102", "19980206", "19980306",
       "19980403", "19980501", "19980605"), True),
    ("first Friday until Dec 24", "19970905T090000",
     "FREQ=MONTHLY;UNTIL=19971224T000000Z;BYDAY=1FR", (),
     d("19970905", "19971003", "19971107", "19971205"), True),
    ("every other month, first and last Sunday, 10 times", "19970907T090000",
     "FREQ=MONTHLY;INTERVAL=2;COUNT=10;BYDAY=1SU,-1SU", (),
     d("19970907", "19970928", "19971102", "19971130", "19980104", "19980125", "19980301",
       "19980329", "19980503", "19980531"), True),
    ("second-to-last Monday for 6 months", "19970922T090000",
     "FREQ=MONTHLY;COUNT=6;BYDAY=-2MO", (),
     d("19970922", "19971020", "19971117", "19971222", "19980119", "19980216"), True),
    ("third-to-last day of the month", "19970928T090000", "FREQ=MONTHLY;BYMONTHDAY=-3", (),
     d("19970928", "19971029", "19971128", "19971229", "19980129", "19980226"), False),
    ("2nd and 15th, 10 times", "19970902T090000", "FREQ=MONTHLY;COUNT=10;BYMONTHDAY=2,15", (),
     d("19970902", "19970915", "19971002", "19971015", "19971102", "19971115", "19971202",
       "19971215", "19980102", "19980115"), True),
    ("first and last day, 10 times", "19970930T090000", "FREQ=MONTHLY;COUNT=10;BYMONTHDAY=1,-1",
     (), d("19970930", "19971001", "19971031", "19971101", "19971130", "19971201", "19971231",
           "19980101", "19980131", "19980201"), True),
    ("every 18 months on the 10th to 15th, 10 times", "19970910T090000",
     "FREQ=MONTHLY;INTERVAL=18;COUNT=10;BYMONTHDAY=10,11,12,13,14,15", (),
     days("199709", 10, 11, 12, 13, 14, 15) + days("199903", 10, 11, 12, 13), True),
    ("every Tuesday, every other month", "19970902T090000", "FREQ=MONTHLY;INTERVAL=2;BYDAY=TU",
     (), days("199709", 2, 9, 16, 23, 30) + days("199711", 4, 11, 18, 25)
     + days("199801", 6, 13, 20, 27) + days("199803", 3, 10, 17, 24, 31), False),
    ("June and July, 10 times", "19970610T090000", "FREQ=YEARLY;COUNT=10;BYMONTH=6,7", (),
     d(*[f"{y}{m}10" for y in range(1997, 2002) for m in ("06", "07")]), True),
    ("every other year in January to March, 10 times", "19970310T090000",
     "FREQ=YEARLY;INTERVAL=2;COUNT=10;BYMONTH=1,2,3", (),
     d("19970310", "19990110", "19990210", "19990310", "20010110", "20010210", "20010310",
       "20030110", "20030210", "20030310"), True),
    ("every third year on days 1, 100 and 200, 10 times", "19970101T090000",
     "FREQ=YEARLY;INTERVAL=3;COUNT=10;BYYEARDAY=1,100,200", (),
     d("19970101", "19970410", "19970719", "20000101", "20000409", "20000718", "20030101",
       "20030410", "20030719", "20060101"), True),
    ("every 20th Monday of the year", "19970519T090000", "FREQ=YEARLY;BYDAY=20MO", (),
     d("19970519", "19980518", "19990517"), False),
    ("Monday of week 20", "19970512T090000", "FREQ=YEARLY;BYWEEKNO=20;BYDAY=MO", (),
     d("19970512", "19980511", "19990517"), False),
    ("every Thursday in March", "19970313T090000", "FREQ=YEARLY;BYMONTH=3;BYDAY=TH", (),
     days("199703", 13, 20, 27) + days("199803", 5, 12, 19, 26) + days("199903", 4, 11, 18, 25),
     False),
    ("every Thursday in June to August", "19970605T090000",
     "FREQ=YEARLY;BYDAY=TH;BYMONTH=6,7,8", (),
     days("199706", 5, 12, 19, 26) + days("199707", 3, 10, 17, 24, 31)
     + days("199708", 7, 14, 21, 28) + days("199806", 4, 11, 18, 25), False),
    ("every Friday the 13th (start excluded)", "19970902T090000",
     "FREQ=MONTHLY;BYDAY=FR;BYMONTHDAY=13", ("19970902T090000",),
     d("19980213", "19980313", "19981113", "19990813", "20001013"), False),
    ("first Saturday after the first Sunday", "19970913T090000",
     "FREQ=MONTHLY;BYDAY=SA;BYMONTHDAY=7,8,9,10,11,12,13", (),
     d("19970913", "19971011", "19971108", "19971213", "19980110", "19980207", "19980307",
       "19980411", "19980509", "19980613"), False),
    ("US presidential election day", "19961105T090000",
     "FREQ=YEARLY;INTERVAL=4;BYMONTH=11;BYDAY=TU;BYMONTHDAY=2,3,4,5,6,7,8", (),
     d("19961105", "20001107", "20041102"), False),
    ("third TU, WE or TH of the month, 3 times", "19970904T090000",
     "FREQ=MONTHLY;COUNT=3;BYDAY=TU,WE,TH;BYSETPOS=3", (),
     d("19970904", "19971007", "19971106"), True),
    ("second-to-last weekday", "19970929T090000",
     "FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-2", (),
     d("19970929", "19971030", "19971127", "19971230", "19980129", "19980226", "19980330"),
     False),
    # The RFC lists 15:00 as well, which is after its own UNTIL (17:00Z is 13:00 EDT);
    # the rule is tested as written.
    ("every 3 hours until 17:00Z", "19970902T090000",
     "FREQ=HOURLY;INTERVAL=3;UNTIL=19970902T170000Z", (),
     ["19970902T0900", "19970902T1200"], True),
    ("every 15 minutes, 6 times", "19970902T090000", "FREQ=MINUTELY;INTERVAL=15;COUNT=6", (),
     [f"19970902T{t}" for t in ("0900", "0915", "0930", "0945", "1000", "1015")], True),
    ("every hour and a half, 4 times", "19970902T090000", "FREQ=MINUTELY;INTERVAL=90;COUNT=4",
     (), [f"19970902T{t}" for t in ("0900", "1030", "1200", "1330")], True),
    ("every 20 minutes 9:00-16:40 (daily)", "19970902T090000",
     "FREQ=DAILY;BYHOUR=9,10,11,12,13,14,15,16;BYMINUTE=0,20,40", (),
     [f"19970902T{h:02d}{m:02d}" for h in range(9, 17) for m in (0, 20, 40)]
     + ["19970903T0900"], False),
    ("every 20 minutes 9:00-16:40 (minutely)", "19970902T090000",
     "FREQ=MINUTELY;INTERVAL=20;BYHOUR=9,10,11,12,13,14,15,16", (),
     [f"19970902T{h:02d}{m:02d}" for h in range(9, 17) for m in (0, 20, 40)]
     + ["19970903T0900"], False),
    ("WKST=MO", "19970805T090000", "FREQ=WEEKLY;INTERVAL=2;COUNT=4;BYDAY=TU,SU;WKST=MO", (),
     days("199708", 5, 10, 19, 24), True),
    ("WKST=SU", "19970805T090000", "FREQ=WEEKLY;INTERVAL=2;COUNT=4;BYDAY=TU,SU;WKST=SU", (),
     days("199708", 5, 17, 19, 31), True),
    ("an invalid date is skipped", "20070115T090000", "FREQ=MONTHLY;BYMONTHDAY=15,30;COUNT=5",
     (), d("20070115", "20070130", "20070215", "20070315", "20070330"), True),
]  # fmt: skip


@pytest.mark.parametrize(
    ("dtstart", "rule", "exdates", "expected", "complete"),
    [pytest.param(*example[1:], id=example[0]) for example in EXAMPLES],
)
def test_rfc5545_recurrence_example(
    dtstart: str, rule: str, exdates: tuple[str, ...], expected: list[str], complete: bool
) -> None:
    activity = series(dtstart, rule, exdates)
    found = walls(activity, len(expected) + (1 if complete else 0))
    assert found == expected


@pytest.mark.parametrize(
    ("dtstart", "rule", "exdates"),
    [pytest.param(*example[1:4], id=example[0]) for example in EXAMPLES if not example[5]],
)
def test_a_window_years_later_equals_that_part_of_the_whole_series(
    dtstart: str, rule: str, exdates: tuple[str, ...]
) -> None:
    activity = series(dtstart, rule, exdates)
    start = activity.start
    assert isinstance(start, datetime)
    lo, hi = start + timedelta(days=365 * 2 + 11), start + timedelta(days=365 * 3)
    whole = expand(activity, start, hi, limit=100_000).occurrences
    part = expand(activity, lo, hi, limit=100_000).occurrences
    assert part == tuple(o for o in whole if o.ends_at > lo and o.starts_at < hi)
