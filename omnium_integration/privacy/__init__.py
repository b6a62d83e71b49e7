"""Forgetting a person: which of their values are searched for (:mod:`.terms`), scrubbing
them from the integration's own rows (:mod:`.scrub`), and the record of each customer's
erasure (:mod:`.erasures`). See docs/operations.md#gdpr-erasure."""
