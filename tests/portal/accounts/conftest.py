from __future__ import annotations

from collections.abc import Callable

import pytest

from northbound.settings import Settings
from tests.support.accounts import fast_settings


@pytest.fixture
def settings(make_settings: Callable[..., Settings]) -> Settings:
    return fast_settings(make_settings)
