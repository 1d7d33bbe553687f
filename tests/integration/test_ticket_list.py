"""GET /tickets: filters, sorting, keyset cursors, totals and full-text search."""

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import text

from tests.integration.test_tickets_api import create, summary
from tests.support import link


def ids(response):
    return [t["ticket_id"] for t in response.json]


def walk(client, url):
    """Every ticket id across all pages of `url`, following rel=next."""
    seen, pages = [], 0
    while url:
        response = client.get(url)
        seen += ids(response)
        url = link(response.headers, "next")
        pages += 1
        assert pages < 100
    return seen


@pytest.fixture
def tracker(client, app):
    """Twelve tickets with known assignees, due dates, statuses and text."""
    specs = [
        ("Deploy the billing service", "ann", "2030-01-05", "rollback plan attached"),
        ("Fix login timeout", "bob", "2020-01-01", "users get logged out"),
        ("Write deployment docs", None, "2030-02-01", "document the deploy steps"),
        ("Upgrade PostgreSQL", "ann", None, "major version upgrade"),
        ("Billing export is slow", "cy", "2020-06-01", "export takes minutes"),
        ("Design review", None, None, "architecture review meeting"),
        ("Deploy hotfix", "bob", "2031-01-01", "urgent deploy"),
        ("Rotate keys", "ann", "2019-12-31", "security chore"),
        ("Improve search ranking", "cy", "2030-03-01", "search results order"),
        ("Alpha", "dee", "2030-03-01", "same due as the ranking ticket"),
        ("alpha lowercase", None, "2030-04-01", "collation check"),
        ("Zeta", "dee", "2032-01-01", "last by title"),
    ]
    made = [create(client, title=t, assignee=a, due=d, description=desc) for t, a, d, desc in specs]
    client.post_json(f"/tickets/{made[1]['ticket_id']}/transitions", {"to": "Closed"})
    client.post_json(f"/tickets/{made[4]['ticket_id']}/transitions", {"to": "In Progress"})
    client.post_json(f"/tickets/{made[8]['ticket_id']}/comments", {"body": "customers keep asking about kubernetes"})
    return made


def test_filters_combine_with_and(client, tracker):
    t = [x["ticket_id"] for x in tracker]
    assert ids(client.get("/tickets?assignee=ann")) == [t[0], t[3], t[7]]
    assert ids(client.get("/tickets?assignee=ann&assignee=bob")) == [t[0], t[1], t[3], t[6], t[7]]
    assert ids(client.get("/tickets?assignee=none")) == [t[2], t[5], t[10]]
    assert ids(client.get("/tickets?assignee=none&assignee=cy")) == [t[2], t[4], t[5], t[8], t[10]]
    assert ids(client.get("/tickets?status=Closed&assignee=bob")) == [t[1]]
    assert ids(client.get("/tickets?status=In%20Progress&status=Closed")) == [t[1], t[4]]


def test_date_ranges_are_half_open_and_dates_mean_utc_midnight(client, tracker):
    t = [x["ticket_id"] for x in tracker]
    assert ids(client.get("/tickets?due_after=2030-01-01&due_before=2030-03-01")) == [t[0], t[2]]
    assert ids(client.get("/tickets?due_after=2030-03-01&due_before=2030-03-02")) == [t[8], t[9]]
    assert ids(client.get("/tickets?due_before=2020-01-01T00:00:01Z")) == [t[1], t[7]]
    assert ids(client.get("/tickets?due_before=2020-01-01T01:00:00%2B02:00")) == [t[7]], "offsets are honoured"
    assert len(client.get("/tickets?created_after=2000-01-01").json) == 12
    assert client.get("/tickets?created_before=2000-01-01").json == []
    now = datetime.now(timezone.utc)
    assert (
        len(client.get(f"/tickets?updated_after={(now - timedelta(minutes=5)).isoformat().replace('+', '%2B')}").json)
        == 12
    )


def test_overdue_means_past_due_and_still_open(client, tracker):
    t = [x["ticket_id"] for x in tracker]
    # t1 is past due but Closed; t4 past due and In Progress (open); t7 past due and Open.
    assert ids(client.get("/tickets?overdue=true")) == [t[4], t[7]]
    assert t[4] not in ids(client.get("/tickets?overdue=false")) and t[1] in ids(client.get("/tickets?overdue=false"))


@pytest.mark.parametrize(
    "query,param",
    [
        ("colour=red", "colour"),
        ("due_before=tomorrow", "due_before"),
        ("created_after=2020-13-01", "created_after"),
        ("overdue=yes", "overdue"),
        ("open=1", "open"),
        ("limit=501", "limit"),
        ("limit=0", "limit"),
        ("sort=priority", "sort"),
        ("sort=-", "sort"),
        ("sort=due,,title", "sort"),
        ("cursor=not*a*cursor", "cursor"),
        ("q=", "q"),
        ("q=%20%20", "q"),
        ("assignee=", "assignee"),
        ("limit=5&limit=6", "limit"),
    ],
)
def test_bad_parameters_are_400_naming_the_parameter(client, query, param):
    response = client.get(f"/tickets?{query}", status=400)
    assert param in response.json["errors"], response.json


@pytest.mark.parametrize(
    "sort",
    [
        "ticket_id",
        "-ticket_id",
        "created",
        "-updated",
        "due",
        "-due",
        "title",
        "-title",
        "status",
        "assignee",
        "-assignee",
        "assignee,-due",
        "status,title",
        "-due,assignee,title",
    ],
)
def test_every_sort_order_is_total_and_pages_through_every_ticket_once(client, tracker, app, sort):
    everything = walk(client, f"/tickets?sort={sort}&limit=500")
    assert sorted(everything) == sorted(x["ticket_id"] for x in tracker)
    assert walk(client, f"/tickets?sort={sort}&limit=3") == everything
    assert walk(client, f"/tickets?sort={sort}&limit=1") == everything
    with app.engine.connect() as conn:  # the same order straight from SQL
        expected = [row[0] for row in conn.execute(text(f"SELECT ticket_id FROM tickets ORDER BY {_sql_order(sort)}"))]
    assert everything == expected


def _sql_order(sort: str) -> str:
    exprs = {"due": "COALESCE(due, 'infinity')", "assignee": "COALESCE(assignee, '')"}
    parts, names = [], []
    for field in sort.split(","):
        name = field.lstrip("-")
        names.append(name)
        parts.append(f"{exprs.get(name, name)} {'DESC' if field.startswith('-') else 'ASC'}")
    if "ticket_id" not in names:
        parts.append(f"ticket_id {'DESC' if sort.startswith('-') else 'ASC'}")
    return ", ".join(parts)


def test_a_field_repeated_in_sort_changes_nothing(client, tracker):
    assert ids(client.get("/tickets?sort=due,-due,title")) == ids(client.get("/tickets?sort=due,title"))


def test_missing_due_sorts_last_and_missing_assignee_first(client, tracker):
    by_due = client.get("/tickets?sort=due&limit=500").json
    assert [t["due"] is None for t in by_due][-2:] == [True, True]
    by_assignee = client.get("/tickets?sort=assignee&limit=500").json
    assert [t["assignee"] for t in by_assignee][:3] == [None, None, None]


def test_cursor_is_stable_while_tickets_are_added_between_pages(client, tracker):
    first = client.get("/tickets?sort=-due&limit=4")
    before = [t["ticket_id"] for t in first.json]
    create(client, title="new, due first of all", due="2099-01-01")  # sorts before the cursor: not on later pages
    create(client, title="new, due last", due="2000-01-01")  # sorts after the cursor: shows up later
    rest = walk(client, link(first.headers, "next"))
    seen = before + rest
    assert len(seen) == len(set(seen)), "no duplicates"
    assert {x["ticket_id"] for x in tracker} <= set(seen), "no existing ticket skipped"


def test_a_cursor_is_bound_to_its_sort_order(client, tracker):
    next_url = link(client.get("/tickets?sort=due&limit=2").headers, "next")
    token = next_url.split("cursor=")[1]
    response = client.get(f"/tickets?sort=title&cursor={token}", status=422)
    assert "cursor" in response.json["errors"]
    client.get(f"/tickets?sort=due&cursor={token}", status=200)


@pytest.mark.parametrize(
    "query,param",
    [
        ("cursor=eyJ4IjoxfQ", "cursor"),
        ("cursor=abc", "cursor"),
        ("after=5&sort=due", "after"),
        ("after=5&cursor=eyJ4IjoxfQ", "after"),
    ],
)
def test_well_formed_but_unusable_positions_are_422(client, query, param):
    response = client.get(f"/tickets?{query}", status=422)
    assert param in response.json["errors"]


def test_links_keep_every_filter_and_offer_the_first_page(client, tracker):
    response = client.get("/tickets?assignee=ann&assignee=cy&sort=-due&limit=2&due_after=2000-01-01")
    nxt, first = link(response.headers, "next"), link(response.headers, "first")
    for part in ("assignee=ann", "assignee=cy", "sort=-due", "limit=2", "due_after=2000-01-01"):
        assert part in nxt and part in first
    assert "cursor" not in first
    assert client.get(first).json == response.json
    assert walk(client, "/tickets?assignee=ann&assignee=cy&sort=-due&limit=2&due_after=2000-01-01") == walk(
        client, "/tickets?assignee=ann&assignee=cy&sort=-due&limit=500&due_after=2000-01-01"
    )


def test_links_of_an_unfiltered_list_carry_no_empty_query(client, tracker):
    response = client.get("/tickets?limit=5")
    assert link(response.headers, "first") == "/tickets?limit=5"
    assert link(client.get("/tickets").headers, "first") == "/tickets"
    assert link(client.get(link(response.headers, "next")).headers, "first") == "/tickets?limit=5"


def test_after_keeps_working_for_ticket_id_order(client, tracker):
    t = [x["ticket_id"] for x in tracker]
    assert ids(client.get(f"/tickets?after={t[9]}")) == [t[10], t[11]]


def test_total_count_is_exact_for_the_filters_not_the_page(client, tracker):
    response = client.get("/tickets?limit=2&assignee=ann")
    assert response.headers["X-Total-Count"] == "3" and len(response.json) == 2
    assert client.get("/tickets?limit=1").headers["X-Total-Count"] == "12"
    assert client.get("/tickets?q=nothingmatchesthis").headers["X-Total-Count"] == "0"


def test_total_count_is_skipped_and_says_so_when_over_budget(settings, clean_db, tracker):
    from dataclasses import replace

    import webtest

    from iris.api.app import create_app
    from iris.repositories import ticket_list
    from iris.services import tickets as ticket_service

    slow = create_app(replace(settings, count_budget_ms=1))
    real_where = ticket_list.where_clauses

    def where_with_a_slow_count(f):  # the count query takes its filter from here too
        return [*real_where(f), text("pg_sleep(0.01) IS NOT NULL")]

    ticket_list.where_clauses = where_with_a_slow_count
    try:
        response = webtest.TestApp(slow).get("/tickets?created_after=2000-01-01")
    finally:
        ticket_list.where_clauses = real_where
        slow.engine.dispose()
    assert "X-Total-Count" not in response.headers
    assert response.headers["X-Total-Count-Skipped"] == "counting would exceed the time budget"
    assert len(response.json) == 12, "the page itself is complete"
    assert ticket_service  # the service ran the same listing


def test_search_covers_titles_descriptions_and_comments(client, tracker):
    t = [x["ticket_id"] for x in tracker]
    assert set(ids(client.get("/tickets?q=billing"))) == {t[0], t[4]}
    assert ids(client.get("/tickets?q=kubernetes")) == [t[8]], "comment bodies are searched"
    assert ids(client.get("/tickets?q=architecture")) == [t[5]], "descriptions are searched"


def test_search_syntax_phrases_exclusions_and_prefixes(client, tracker):
    t = [x["ticket_id"] for x in tracker]
    assert ids(client.get('/tickets?q="rollback plan"')) == [t[0]]
    assert set(ids(client.get("/tickets?q=deploy"))) == {t[0], t[2], t[6]}, "stemming: deploy, deployment"
    assert set(ids(client.get("/tickets?q=deploy -hotfix"))) == {t[0], t[2]}
    assert set(ids(client.get("/tickets?q=upgr*"))) == {t[3]}
    assert ids(client.get('/tickets?q="plan rollback"')) == []


def test_prefixes_work_in_exclusions_phrases_and_or(client, tracker):
    t = [x["ticket_id"] for x in tracker]
    assert set(ids(client.get("/tickets?q=deploy -hotf*"))) == {t[0], t[2]}, "-hotf* excludes hotfix"
    assert ids(client.get('/tickets?q="rollback pl*"')) == [t[0]]
    assert ids(client.get('/tickets?q="plan roll*"')) == [], "a prefix keeps its place in the phrase"
    assert ids(client.get('/tickets?q="deploy the bill*"')) == [t[0]], "stop words still count as a gap"
    assert set(ids(client.get("/tickets?q=hotf* or upgr*"))) == {t[3], t[6]}
    assert ids(client.get("/tickets?q=irisprefix1 or upgr*")) == [t[3]], "a word like the placeholder is only a word"
    assert set(ids(client.get("/tickets?q=deploy the*"))) == {t[0], t[2], t[6]}, "a stop word prefix is ignored"
    assert set(ids(client.get("/tickets?q=e-mail*"))) == set(), "a hyphenated word is not a prefix"


def test_a_search_with_nothing_to_search_for_is_a_422_naming_q(client, tracker):
    for q in ("the", "-the", '"of the"', "the*", "!!!", "the or and"):
        response = client.get(f"/tickets?q={q}", status=422)
        assert list(response.json["errors"]) == ["q"], q
        assert "no word to search for" in response.json["errors"]["q"]
    assert client.get("/tickets?q=the&sort=due", status=422).json["errors"].keys() == {"q"}
    assert client.get("/tickets?q=nosuchword").json == [], "a word that matches nothing is a plain empty page"
    assert set(ids(client.get("/tickets?q=the deploy"))) == {
        t["ticket_id"] for t in (tracker[0], tracker[2], tracker[6])
    }


def test_search_ranks_by_relevance_unless_sorted(client, tracker):
    t = [x["ticket_id"] for x in tracker]
    in_description = create(client, title="a chore", description="feed the zebra")["ticket_id"]
    in_title = create(client, title="Zebra crossing", description="paint it")["ticket_id"]
    assert ids(client.get("/tickets?q=zebra")) == [in_title, in_description], (
        "a title match outranks a description match"
    )
    far = create(client, title="a chore", description="the giraffe came first and much later, after lunch, the okapi")[
        "ticket_id"
    ]
    near = create(client, title="a chore", description="giraffe okapi sightings")["ticket_id"]
    assert ids(client.get("/tickets?q=okapi giraffe")) == [near, far], "words close together outrank words far apart"
    ranked = ids(client.get("/tickets?q=deploy"))
    assert set(ranked) == {t[0], t[2], t[6]}
    assert ids(client.get("/tickets?q=deploy&sort=ticket_id")) == sorted(ranked)
    assert walk(client, "/tickets?q=deploy&limit=1") == ranked


def test_search_follows_edits_and_comments(client, tracker):
    t = [x["ticket_id"] for x in tracker]
    client.patch_json(f"/tickets/{t[5]}", {"description": "now about kubernetes too"})
    assert set(ids(client.get("/tickets?q=kubernetes"))) == {t[5], t[8]}
    comment_id = client.post_json(f"/tickets/{t[11]}/comments", {"body": "flamingo"}).json["comment_id"]
    assert ids(client.get("/tickets?q=flamingo")) == [t[11]]
    client.patch_json(f"/comments/{comment_id}", {"body": "pelican"})
    assert ids(client.get("/tickets?q=flamingo")) == [] and ids(client.get("/tickets?q=pelican")) == [t[11]]
    client.delete(f"/comments/{comment_id}")
    assert ids(client.get("/tickets?q=pelican")) == []


def test_a_comment_does_not_make_its_ticket_look_edited(client, tracker):
    ticket = client.get(f"/tickets/{tracker[0]['ticket_id']}").json
    client.post_json(f"/tickets/{ticket['ticket_id']}/comments", {"body": "just a note"})
    assert client.get(f"/tickets/{ticket['ticket_id']}").json["updated"] == ticket["updated"]


def test_search_has_no_result_cap(client, app):
    with app.engine.begin() as conn:
        conn.execute(text("INSERT INTO tickets (title) SELECT 'common word ' || n FROM generate_series(1, 1200) n"))
    assert len(walk(client, "/tickets?q=common&limit=500")) == 1200
    assert client.get("/tickets?q=common&limit=1").headers["X-Total-Count"] == "1200"


def test_total_count_is_not_even_tried_when_the_planner_expects_too_many(settings, clean_db, tracker):
    from dataclasses import replace

    import webtest

    from iris.api.app import create_app

    capped = create_app(replace(settings, count_max_estimate=0))
    try:
        response = webtest.TestApp(capped).get("/tickets?assignee=ann")
    finally:
        capped.engine.dispose()
    assert "X-Total-Count" not in response.headers and "X-Total-Count-Skipped" in response.headers
    assert len(response.json) == 3


def test_a_search_in_relevance_order_counts_every_match_on_every_page(client, tracker):
    first = client.get("/tickets?q=deploy&limit=1")
    second = client.get(link(first.headers, "next"))
    third = client.get(link(second.headers, "next"))
    assert len({*ids(first), *ids(second), *ids(third)}) == 3 and link(third.headers, "next") is None
    assert [r.headers["X-Total-Count"] for r in (first, second, third)] == ["3", "3", "3"]
    assert client.get("/tickets?q=nosuchword").headers["X-Total-Count"] == "0"


def test_a_search_page_emptied_by_a_delete_still_counts_the_matches(client, tracker):
    first = client.get("/tickets?q=deploy&limit=2")
    rest = link(first.headers, "next")
    client.delete(f"/tickets/{ids(client.get(rest))[0]}")
    emptied = client.get(rest)
    assert emptied.json == [] and emptied.headers["X-Total-Count"] == "2"


def test_a_relevance_ordered_search_is_counted_even_when_counting_is_capped(settings, clean_db, tracker):
    """Ranking already visits every match, so its total comes with the page; other orders keep the cap."""
    from dataclasses import replace

    import webtest

    from iris.api.app import create_app

    capped = create_app(replace(settings, count_max_estimate=0))
    try:
        client = webtest.TestApp(capped)
        ranked, by_due = client.get("/tickets?q=deploy"), client.get("/tickets?q=deploy&sort=due")
    finally:
        capped.engine.dispose()
    assert ranked.headers["X-Total-Count"] == "3" and "X-Total-Count-Skipped" not in ranked.headers
    assert "X-Total-Count" not in by_due.headers and "X-Total-Count-Skipped" in by_due.headers
    assert sorted(ids(ranked)) == sorted(ids(by_due))


@pytest.mark.parametrize("zone", ["UTC", "Asia/Kolkata"])
def test_a_listed_ticket_is_the_ticket_its_own_page_shows(settings, clean_db, zone):
    """Lists read plain rows, not the ORM objects behind GET /tickets/{id}; both must answer the same
    ticket, field for field, whatever order the list is in and whatever the database session's time zone."""
    import webtest
    from sqlalchemy import event

    from iris.api.app import create_app

    def set_zone(dbapi_connection, _record):
        with dbapi_connection.cursor() as cur:
            cur.execute("SET TIME ZONE %s", (zone,))
        dbapi_connection.commit()

    app = create_app(settings)
    event.listen(app.engine, "connect", set_zone)
    try:
        with app.engine.connect() as conn:
            assert conn.exec_driver_sql("SHOW TimeZone").scalar() == zone
        client = webtest.TestApp(app)
        create(
            client,
            title="ticket with everything",
            assignee="ann",
            description="all fields",
            due="2030-01-05T10:00:00.5+02:00",
        )
        bare = create(client, title="bare ticket")
        commented = create(client, title="commented ticket", due="2026-07-01")
        client.post_json(f"/tickets/{commented['ticket_id']}/comments", {"body": "a ticket comment"})
        with app.engine.begin() as conn:  # a tutorial-era due text that was never a date
            conn.execute(
                text("UPDATE tickets SET due_raw = 'next tuesday' WHERE ticket_id = :i"), {"i": bare["ticket_id"]}
            )
        shown = {
            t["ticket_id"]: summary(client.get(f"/tickets/{t['ticket_id']}").json) for t in client.get("/tickets").json
        }
        assert len(shown) == 3 and shown[bare["ticket_id"]]["due_raw"] == "next tuesday"
        assert [t["due"] for t in shown.values()] == [
            "2030-01-05T08:00:00.500000+00:00",
            None,
            "2026-07-01T00:00:00+00:00",
        ]
        assert all(t["created"].endswith("+00:00") and t["updated"].endswith("+00:00") for t in shown.values())
        assert shown[commented["ticket_id"]]["version"] == 2
        for start in [
            "/tickets",
            "/tickets?sort=-due",
            "/tickets?sort=title&limit=1",
            "/tickets?q=ticket",
            "/tickets?q=ticket&limit=1",
            "/tickets?include=history",
        ]:
            listed, url = [], start
            while url:
                response = client.get(url)
                listed += response.json
                url = link(response.headers, "next")
            assert [{k: v for k, v in t.items() if k != "history"} for t in listed] == [
                shown[t["ticket_id"]] for t in listed
            ], start
            assert len(listed) == 3, start
    finally:
        app.engine.dispose()
