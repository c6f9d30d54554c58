#!/usr/bin/env python3
"""Read an iCalendar file (RFC 5545) on stdin with Python's `icalendar` package, an independent
parser, and print what a calendar app would take from it, as JSON: the calendar's method and name,
and for each event its UID, SEQUENCE, STATUS, texts, and DTSTART/DTEND.

A date-time is given on its own clock (`local`, with its `tzid`) and as an instant in UTC twice:
as the parser places it (`utc`, by the time-zone database it knows for an IANA `TZID`) and as the
file's own VTIMEZONE places it (`utc_by_vtimezone`), so that a test sees both agree. A date is
given as a date. Exits non-zero, with the parser's error, when the file does not parse.

Works with icalendar 4.0.3 (Debian's python3-icalendar, what CI installs) and later.
"""

import json
import sys
from datetime import date, datetime

import icalendar
import pytz


def utc_text(instant):
    return instant.astimezone(pytz.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def when(prop, zones):
    if prop is None:
        return None
    value = prop.dt
    if isinstance(value, datetime):
        tzid = prop.params.get("TZID")
        local = value.replace(tzinfo=None)
        by_vtimezone = None
        if tzid is not None and str(tzid) in zones:
            by_vtimezone = utc_text(zones[str(tzid)].localize(local))
        return {
            "kind": "date-time",
            "local": local.isoformat(),
            "tzid": None if tzid is None else str(tzid),
            "utc": utc_text(value) if value.tzinfo is not None else None,
            "utc_by_vtimezone": by_vtimezone,
        }
    if isinstance(value, date):
        return {"kind": "date", "date": value.isoformat()}
    raise ValueError("neither a date nor a date-time: %r" % (value,))


def text(component, name):
    value = component.get(name)
    return None if value is None else str(value)


def main():
    calendar = icalendar.Calendar.from_ical(sys.stdin.buffer.read())
    # Each VTIMEZONE as the file defines it, independent of the parser's own zone database.
    zones = {str(zone["TZID"]): zone.to_tz() for zone in calendar.walk("VTIMEZONE")}
    events = []
    for event in calendar.walk("VEVENT"):
        attendees = event.get("ATTENDEE", [])
        if not isinstance(attendees, list):
            attendees = [attendees]
        events.append(
            {
                "uid": text(event, "UID"),
                "sequence": int(event.get("SEQUENCE", 0)),
                "status": text(event, "STATUS"),
                "summary": text(event, "SUMMARY"),
                "location": text(event, "LOCATION"),
                "description": text(event, "DESCRIPTION"),
                "organizer": text(event, "ORGANIZER"),
                "attendees": [str(a) for a in attendees],
                "dtstamp": utc_text(event["DTSTAMP"].dt) if "DTSTAMP" in event else None,
                "dtstart": when(event.get("DTSTART"), zones),
                "dtend": when(event.get("DTEND"), zones),
            }
        )
    print(
        json.dumps(
            {
                "method": text(calendar, "METHOD"),
                "name": text(calendar, "X-WR-CALNAME"),
                "time_zones": sorted(zones),
                "events": events,
            },
            ensure_ascii=False,
        )
    )


if __name__ == "__main__":
    main()
