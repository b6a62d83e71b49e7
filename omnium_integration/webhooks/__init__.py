"""The Omnium Event API: the webhook Omnium's event subscriptions post to.

``envelope`` reads an event from a request body, ``intake`` stores it and enqueues its
import job, ``views`` is the DRF endpoint that authenticates the request and answers.
Nothing here calls Omnium: the job does.
"""
