"""A small Flow core that hosts ``omnium_integration`` the way Flow does. Not packaged."""
