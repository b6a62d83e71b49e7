"""The Omnium Event API: the webhook Omnium's event subscriptions post to."""
