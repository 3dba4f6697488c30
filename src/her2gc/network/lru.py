"""A small thread-safe LRU map, in memory only (no pickled caches).

Its own module so that holders of caches (the runtime, the page's figures) do not import
the network engine to get one.
"""

from __future__ import annotations

import threading
from collections import OrderedDict


class Lru:
    """A bounded map that forgets the least recently used key first; safe across threads."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.items: OrderedDict[object, object] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, key: object) -> object | None:
        with self.lock:
            if key not in self.items:
                return None
            self.items.move_to_end(key)
            return self.items[key]

    def put(self, key: object, value: object) -> None:
        with self.lock:
            self.items[key] = value
            self.items.move_to_end(key)
            while len(self.items) > self.size:
                self.items.popitem(last=False)
