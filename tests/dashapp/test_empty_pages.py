"""A company's first visit, before any order is loaded: each analysis page says so, and tells
a role that may load data where to do it in the app (the others: who does)."""

from __future__ import annotations

import json

import pytest

from dashapp.components.analysis_frame import SOURCES_PATH
from dashapp.components.analysis_frame import UPLOAD_PATH
from tests.dashapp.conftest import username_of
from tests.dashapp.test_access import registered_pages
from tests.dashapp.test_access import router_body
from tests.signin import post_callback

pytestmark = pytest.mark.postgres
ANALYSIS_PATHS = ("/", "/trends", "/contribution", "/targets")


@pytest.mark.parametrize("path", ANALYSIS_PATHS)
def test_before_the_first_load_each_page_says_where_data_comes_from(app, client_for, path):
    assert path in {p["path"] for p in registered_pages()}
    admin = json.dumps(post_callback(client_for("admin"), router_body(path)).get_json())
    assert "No orders loaded yet" in admin
    assert f'"href": "{SOURCES_PATH}"' in admin and f'"href": "{UPLOAD_PATH}"' in admin
    executive = json.dumps(post_callback(client_for("executive"), router_body(path)).get_json())
    assert "No orders loaded yet" in executive
    assert "An administrator connects the sources" in executive
    assert SOURCES_PATH not in executive and username_of("admin") not in executive


def test_before_stock_is_loaded_the_inventory_page_says_how_to_load_it(app, client_for):
    answer = json.dumps(post_callback(client_for("planner"), router_body("/inventory")).get_json())
    assert "No stock positions yet" in answer and "a file of kind 'inventory'" in answer
