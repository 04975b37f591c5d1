"""The landing page's links encode their query as ``urlencode`` does (the fast path for
values that need no escaping must not change a single character)."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
from hypothesis import given
from hypothesis import strategies as st

from landing.web.rendering import query_string

pytestmark = pytest.mark.unit


@given(st.dictionaries(st.text(min_size=1, max_size=12), st.none() | st.text(max_size=40)))
def test_query_strings_are_exactly_what_urlencode_gives(query: dict[str, str | None]) -> None:
    assert query_string(query) == urlencode({k: v for k, v in query.items() if v})


def test_tokens_ride_along_unescaped_and_the_rest_escaped() -> None:
    query = {"v": "v-video", "utm_source": "tik tok&x=é", "visit": "eyJj.Zk_9-x", "e": ""}
    assert query_string(query) == "v=v-video&utm_source=tik+tok%26x%3D%C3%A9&visit=eyJj.Zk_9-x"
