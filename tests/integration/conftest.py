"""Fixtures of the integration tests: apps that require tokens, and the web page's (tests/integration/test_web_*.py)."""

from dataclasses import replace

import pytest
import webtest

from iris.api.app import create_app
from iris.api.password_attempts import PasswordAttempts
from tests.integration.web_support import add_people


@pytest.fixture(scope="session")
def web_app(settings):
    application = create_app(replace(settings, auth="required", signin_limit_account="5/15minutes"))
    yield application
    application.engine.dispose()


@pytest.fixture
def required(settings, clean_db):
    """An app that requires a token (IRIS_AUTH=required), made for one test."""
    app = create_app(replace(settings, auth="required"))
    yield app
    app.engine.dispose()


@pytest.fixture
def web(web_app, clean_db):
    """A browser-like client of an app that requires signing in, with ann (agent), rep and boss (admin)."""
    add_people(web_app)
    web_app.state.password_attempts = PasswordAttempts(web_app.settings)  # no attempts of another test
    return webtest.TestApp(web_app)


@pytest.fixture
def open_web(app, clean_db):
    """A client of an app in open mode (IRIS_AUTH=open)."""
    return webtest.TestApp(app)
