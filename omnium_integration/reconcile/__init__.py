"""Reconciliation: proving that Flow and Omnium agree over a period, and healing where not.

* :mod:`.run`: a run (compare, store, heal) and :func:`.run.compare`;
* the areas, each reading both sides and comparing: :mod:`.pos_orders`, :mod:`.web_orders`,
  :mod:`.customers`, :mod:`.invoices`;
* pure comparisons: :mod:`.compare_orders`, :mod:`.compare_records`, over the plain facts
  of :mod:`.facts`; their findings: :mod:`.differences`;
* the reading of each side: :mod:`.omnium_side` (scrolls and searches) and the adapter's
  bulk readers (``host/reconcile.py``), paired by :mod:`.pairs` (the identity map);
* :mod:`.heal`: the jobs that repair each difference.
"""
