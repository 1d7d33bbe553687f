"""Probes: /live touches no database; /ready and /health say whether the database can serve this iris."""

import webtest
from sqlalchemy.engine import URL

from iris.api.app import create_app
from iris.config import Settings


def test_live_and_ready_answer_when_the_database_does(client):
    assert client.get("/live").json == {"status": "ok"}
    assert client.get("/ready").json == {"status": "ok", "database": "ok"}


def test_live_answers_without_a_database_and_ready_does_not():
    dead = URL.create("postgresql+psycopg2", username="iris", host="127.0.0.1", port=1, database="iris")
    app = create_app(Settings(env="test", auth="required", database_url=dead, connect_timeout_s=1))
    client = webtest.TestApp(app)
    assert client.get("/live").json == {"status": "ok"}, "no token and no database needed"
    assert client.get("/ready", status=503).json == {"errors": {"database": "unavailable"}}
    assert app.engine.pool.checkedout() == 0
    app.engine.dispose()


def test_ready_says_when_the_database_lacks_this_iris_migrations(empty_db):
    app = create_app(Settings(env="test", database_url=empty_db))
    body = webtest.TestApp(app).get("/ready", status=503).json
    assert "this iris needs revision" in body["errors"]["database"]
    app.engine.dispose()
