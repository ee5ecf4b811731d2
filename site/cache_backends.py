"""Redis as Django's cache, failing open: while Redis is unreachable, reads miss and writes
are dropped, so Wagtail (site root paths, renditions) and every other cache user keep
serving instead of answering 500.

Code that must know a write failed (the page cache's purges, stories/cache.py) uses
``cache.strict``: the same cache, raising.
"""

import logging

from django.core.cache.backends.redis import RedisCache
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)


def _fail_open(name, fallback):
    strict_method = getattr(RedisCache, name)

    def method(self, *args, **kwargs):
        try:
            return strict_method(self, *args, **kwargs)
        except RedisError as error:
            logger.warning("Cache unreachable (%s): %s", name, error)
            return fallback(*args, **kwargs)

    method.__name__ = name
    return method


def _default(key, default=None, *args, **kwargs):
    return default


class FailOpenRedisCache(RedisCache):
    """Django's Redis cache that reads as a miss and writes nothing while Redis is down."""

    def __init__(self, server, params):
        super().__init__(server, params)
        self.strict = RedisCache(server, params)

    get = _fail_open("get", _default)
    get_many = _fail_open("get_many", lambda keys, *a, **k: {})
    has_key = _fail_open("has_key", lambda *a, **k: False)
    set = _fail_open("set", lambda *a, **k: None)
    add = _fail_open("add", lambda *a, **k: False)
    touch = _fail_open("touch", lambda *a, **k: False)
    set_many = _fail_open("set_many", lambda data, *a, **k: list(data))
    delete = _fail_open("delete", lambda *a, **k: False)
    delete_many = _fail_open("delete_many", lambda *a, **k: None)
    clear = _fail_open("clear", lambda *a, **k: False)
