"""Settings of the demo (``make demo``): the stub host's, with DEBUG on and the keys a
local run needs (:mod:`.local_keys`; the demo's encryption key is ``var/demo-encryption-key``)."""

import os

from .local_keys import use_local_keys

os.environ.setdefault("DJANGO_DEBUG", "1")
use_local_keys("demo-encryption-key")

from .settings import *  # noqa: E402, F403
