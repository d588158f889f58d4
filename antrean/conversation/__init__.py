"""The conversation: what we answer to what a person writes, in polite Indonesian.

`law` and `dialog` are plain Python (no Django, `now` passed in); `service` runs the dialog
for a stored message and applies its effect through the booking write layer.
"""
