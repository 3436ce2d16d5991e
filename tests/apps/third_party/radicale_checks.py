"""Radicale 3.1 (Debian's radicale) through python3-caldav and requests.

Each check works in its own calendar of the user "alice" (any password:
radicale.conf has no authentication but owner-only rights), so the checks
are independent of each other and of their order.
"""

import datetime
import os
import pathlib

import caldav

from registry import check, expect

USER, PASSWORD = "alice", "secret"
AUTH = (USER, PASSWORD)
CALENDAR = "text/calendar; charset=utf-8"


def reference_app(work):
    """Radicale's WSGI entry for the reference server, on its own storage
    under `work` (radicale.conf with @STORAGE@ filled in)."""
    expect(work, "radicale needs --work DIR for the reference's storage")
    here = pathlib.Path(__file__).parent
    conf = pathlib.Path(work) / "reference-radicale.conf"
    storage = pathlib.Path(work) / "reference-collections"
    conf.write_text((here / "radicale.conf").read_text().replace("@STORAGE@", str(storage)))
    os.environ["RADICALE_CONFIG"] = str(conf)
    import radicale
    return radicale.application


def event(uid, summary, start, sequence=0):
    """A VEVENT with everything fixed (no DTSTAMP of now, no generated UID)."""
    end = start + datetime.timedelta(hours=1)
    fmt = "%Y%m%dT%H%M%SZ"
    return ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//shoal//third-party test//EN\r\n"
            f"BEGIN:VEVENT\r\nUID:{uid}\r\nDTSTAMP:20260101T000000Z\r\nSEQUENCE:{sequence}\r\n"
            f"DTSTART:{start.strftime(fmt)}\r\nDTEND:{end.strftime(fmt)}\r\n"
            f"SUMMARY:{summary}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")


def dav_client(client):
    """A caldav client whose requests go through `client`'s recording session."""
    dav = caldav.DAVClient(url=client.url("/"), username=USER, password=PASSWORD)
    dav.session.close()
    dav.session = client.session
    return dav


def summaries(objects):
    return sorted(str(o.vobject_instance.vevent.summary.value) for o in objects)


def calendar_path(name):
    return f"/{USER}/{name}/"


def make_calendar_raw(client, path):
    """An extended MKCOL of a calendar at `path`, without caldav."""
    r = client.request("MKCOL", path, auth=AUTH, data=(
        '<?xml version="1.0" encoding="utf-8"?>\n<D:mkcol xmlns:D="DAV:" '
        'xmlns:C="urn:ietf:params:xml:ns:caldav"><D:set><D:prop><D:resourcetype><D:collection/>'
        '<C:calendar/></D:resourcetype></D:prop></D:set></D:mkcol>'),
        headers={"Content-Type": "text/xml; charset=utf-8"})
    expect(r.status_code == 201, f"MKCOL {path}: {r.status_code}")


@check("calendar-lifecycle", allow=("radicale-clock",))
def calendar_lifecycle(client):
    """caldav: find the principal (401, then basic auth), make a calendar,
    add two events, query a date range, change one, delete one, list what is
    left, delete the calendar."""
    dav = dav_client(client)
    principal = dav.principal()
    cal = principal.make_calendar(name="Lifecycle", cal_id="lifecycle")
    cal.save_event(event("standup-1@shoal.test", "Standup", datetime.datetime(2026, 3, 2, 9)))
    cal.save_event(event("review-2@shoal.test", "Review", datetime.datetime(2026, 3, 5, 14)))
    in_range = cal.date_search(start=datetime.datetime(2026, 3, 1), end=datetime.datetime(2026, 3, 3),
                               expand=False)
    expect(summaries(in_range) == ["Standup"], summaries(in_range))

    review = cal.event_by_uid("review-2@shoal.test")
    review.data = event("review-2@shoal.test", "Review moved", datetime.datetime(2026, 3, 6, 10), 1)
    review.save(increase_seqno=False)
    reloaded = cal.event_by_url(review.url).load()
    expect("SUMMARY:Review moved" in reloaded.data, reloaded.data)

    cal.event_by_uid("standup-1@shoal.test").delete()
    left = summaries(cal.events())
    expect(left == ["Review moved"], left)
    names = [c.name for c in principal.calendars()]
    cal.delete()
    names_after = [c.name for c in principal.calendars()]
    expect("Lifecycle" in names and "Lifecycle" not in names_after, (names, names_after))
    return {"in_range": summaries(in_range), "left": left, "calendars": names}


@check("conditional-puts", allow=("radicale-clock",))
def conditional_puts(client):
    """PUT and DELETE with If-None-Match: * and If-Match: 201, 412 for an
    existing item, a stale ETag or a removed item, 200 for the current ETag."""
    cal = calendar_path("conditional")
    make_calendar_raw(client, cal)
    item = cal + "lunch.ics"
    first = event("lunch@shoal.test", "Lunch", datetime.datetime(2026, 4, 1, 12))
    second = event("lunch@shoal.test", "Lunch, later", datetime.datetime(2026, 4, 1, 13), 1)

    def put(body, **headers):
        return client.request("PUT", item, auth=AUTH, data=body.encode(),
                              headers={"Content-Type": CALENDAR, **headers})

    r = put(first, **{"If-None-Match": "*"})
    expect(r.status_code == 201 and r.headers.get("ETag"), (r.status_code, r.headers))
    etag = r.headers["ETag"]
    expect(put(first, **{"If-None-Match": "*"}).status_code == 412, "If-None-Match: * on an item")
    expect(put(second, **{"If-Match": '"stale"'}).status_code == 412, "a stale If-Match")
    r = put(second, **{"If-Match": etag})
    expect(r.status_code == 201 and r.headers.get("ETag") not in (None, etag), r.headers)
    new_etag = r.headers["ETag"]
    r = client.request("GET", item, auth=AUTH)
    expect(r.status_code == 200 and r.headers.get("ETag") == new_etag, (r.status_code, r.headers))
    r = client.request("DELETE", item, auth=AUTH, headers={"If-Match": etag})
    expect(r.status_code == 412, f"DELETE with the old ETag: {r.status_code}")
    r = client.request("DELETE", item, auth=AUTH, headers={"If-Match": new_etag})
    expect(r.status_code == 200, f"DELETE with the current ETag: {r.status_code}")
    expect(client.request("GET", item, auth=AUTH).status_code == 404, "GET after DELETE")
    expect(put(second, **{"If-Match": new_etag}).status_code == 412, "If-Match on a removed item")
    return [etag, new_etag]


@check("propfind-report-and-errors", allow=("radicale-clock",))
def propfind_report_and_errors(client):
    """Raw WebDAV: PROPFIND depth 1 of the home, a calendar's ICS as one GET,
    an anonymous PROPFIND, another user's home (refused), a missing item
    (404),
    an event that is not iCalendar (400)."""
    cal = calendar_path("raw")
    dav = dav_client(client)
    principal = dav.principal()
    raw = principal.make_calendar(name="Raw", cal_id="raw")
    raw.save_event(event("a@shoal.test", "Alpha", datetime.datetime(2026, 5, 1, 8)))
    r = client.request("PROPFIND", f"/{USER}/", auth=AUTH, headers={"Depth": "1"}, data=(
        '<?xml version="1.0" encoding="utf-8"?><D:propfind xmlns:D="DAV:"><D:prop>'
        '<D:displayname/><D:resourcetype/><D:getetag/><D:getlastmodified/></D:prop></D:propfind>'))
    expect(r.status_code == 207, f"PROPFIND: {r.status_code}")
    r = client.request("GET", cal, auth=AUTH)
    expect(r.status_code == 200 and b"SUMMARY:Alpha" in r.content, r.status_code)
    client.request("PROPFIND", f"/{USER}/", headers={"Depth": "0"})  # Radicale's own multistatus
    r = client.request("PROPFIND", "/bob/", auth=AUTH, headers={"Depth": "0"})
    expect(r.status_code in (403, 404), f"another user's home: {r.status_code}")
    expect(client.request("GET", cal + "missing.ics", auth=AUTH).status_code == 404, "missing item")
    r = client.request("PUT", cal + "bad.ics", auth=AUTH, data=b"not a calendar",
                       headers={"Content-Type": CALENDAR})
    expect(r.status_code == 400, f"PUT of garbage: {r.status_code}")


@check("sync-options-move", allow=("radicale-clock", "radicale-sync-token"))
def sync_options_move(client):
    """An event of about 12 KB (more than one AJP packet), a sync-collection
    REPORT, OPTIONS, a MOVE into another calendar (Destination built from
    the Host header and the mount), and the moved event read back."""
    make_calendar_raw(client, "/alice/sync/")
    make_calendar_raw(client, "/alice/moved/")
    big = event("big@shoal.test", "Big", datetime.datetime(2026, 9, 1, 8)).replace(
        "SUMMARY:Big\r\n", "SUMMARY:Big\r\nDESCRIPTION:" +
        "\r\n ".join(["\u00e9t\u00e9 \u2600 " * 6] * 200) + "\r\n")
    expect(len(big.encode()) > 8192, len(big.encode()))
    r = client.request("PUT", "/alice/sync/big.ics", auth=AUTH, data=big.encode(),
                       headers={"Content-Type": CALENDAR})
    expect(r.status_code == 201, f"PUT: {r.status_code}")
    r = client.request("REPORT", "/alice/sync/", auth=AUTH, headers={"Depth": "1"}, data=(
        '<?xml version="1.0" encoding="utf-8"?><D:sync-collection xmlns:D="DAV:">'
        '<D:sync-token/><D:sync-level>1</D:sync-level><D:prop><D:getetag/></D:prop>'
        '</D:sync-collection>'))
    expect(r.status_code == 207, f"sync-collection: {r.status_code}")
    r = client.request("OPTIONS", "/alice/sync/", auth=AUTH)
    expect(r.status_code == 200, f"OPTIONS: {r.status_code}")
    destination = f"http://{client.session.headers['Host']}{client.base_path}/alice/moved/one.ics"
    r = client.request("MOVE", "/alice/sync/big.ics", auth=AUTH,
                       headers={"Destination": destination})
    expect(r.status_code in (201, 204), f"MOVE: {r.status_code}")
    r = client.request("GET", "/alice/moved/one.ics", auth=AUTH)
    expect(r.status_code == 200 and "\u2600".encode() in r.content, f"GET: {r.status_code}")


@check("chunked-put", allow=("radicale-clock",))
def chunked_put(client):
    """An event PUT with a chunked body (no Content-Length) arrives whole.
    wsgiref does not de-chunk request bodies, so the reference is sent the
    same bytes with a Content-Length: what a front end hands the app."""
    cal = calendar_path("chunked")
    dav = dav_client(client)
    dav.principal().make_calendar(name="Chunked", cal_id="chunked")
    body = event("chunked@shoal.test", "Sent in chunks " + "x" * 3000,
                 datetime.datetime(2026, 6, 1, 9)).encode()
    if client.is_reference:
        data = body
    else:
        data = (body[i:i + 1000] for i in range(0, len(body), 1000))  # requests chunks a generator
    r = client.request("PUT", cal + "chunked.ics", auth=AUTH, data=data,
                       headers={"Content-Type": CALENDAR})
    expect(r.status_code == 201, f"chunked PUT: {r.status_code}")
    r = client.request("GET", cal + "chunked.ics", auth=AUTH)
    expect(r.status_code == 200 and b"Sent in chunks" in r.content, r.status_code)


@check("head", group="head-304", allow=("radicale-clock",))
def head(client):
    """HEAD of an event and of a calendar: GET's headers (Content-Length
    included), no body."""
    dav = dav_client(client)
    dav.principal().make_calendar(name="Head", cal_id="head")
    path = calendar_path("head")
    r = client.request("PUT", path + "heads-up.ics", auth=AUTH, headers={"Content-Type": CALENDAR},
                       data=event("head@shoal.test", "Heads up", datetime.datetime(2026, 7, 1, 9)))
    expect(r.status_code == 201, f"PUT: {r.status_code}")
    for target in (path + "heads-up.ics", path):
        r = client.request("GET", target, auth=AUTH)
        expect(r.status_code == 200, f"GET {target}: {r.status_code}")
        r = client.request("HEAD", target, auth=AUTH)
        expect(r.status_code == 200 and r.headers.get("Content-Length"),
               f"HEAD {target}: {r.status_code} {dict(r.headers)}")
