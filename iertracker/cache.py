"""The per-process cache (when no Redis is configured): Django's memory cache, bounded in bytes
as well as in entries, so that many large pages cannot grow a worker without limit."""

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.locmem import LocMemCache

# Per cache name, as Django keeps the entries themselves: {"bytes": total, "sizes": {key: n}}.
_accounts: dict[str, dict] = {}


class BoundedLocMemCache(LocMemCache):
    """``LocMemCache`` whose pickled values total at most ``OPTIONS["MAX_BYTES"]``: storing
    one removes the least recently used entries until it fits (and ``MAX_ENTRIES`` still
    holds); a value larger than the whole bound is not kept."""

    def __init__(self, name, params):
        super().__init__(name, params)
        self._max_bytes = int(params.get("OPTIONS", {}).get("MAX_BYTES", 32 * 2**20))
        self._account = _accounts.setdefault(name, {"bytes": 0, "sizes": {}})

    @property
    def size_in_bytes(self) -> int:
        return self._account["bytes"]

    def _set(self, key, value, timeout=DEFAULT_TIMEOUT):
        self._delete(key)
        if len(value) > self._max_bytes:
            return
        while self._cache and (
            len(self._cache) >= self._max_entries
            or self._account["bytes"] + len(value) > self._max_bytes
        ):
            oldest = next(reversed(self._cache))  # get() moves what it reads to the front
            self._delete(oldest)
        self._cache[key] = value
        self._cache.move_to_end(key, last=False)
        self._expire_info[key] = self.get_backend_timeout(timeout)
        self._account["sizes"][key] = len(value)
        self._account["bytes"] += len(value)

    def _delete(self, key):
        self._account["bytes"] -= self._account["sizes"].pop(key, 0)
        return super()._delete(key)

    def clear(self):
        with self._lock:
            self._cache.clear()
            self._expire_info.clear()
            self._account["sizes"].clear()
            self._account["bytes"] = 0
