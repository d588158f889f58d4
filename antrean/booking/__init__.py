"""The booking domain.

`rules`, `codes`, `nik`, `lifecycle` and `errors` are plain Python (no Django) and take
`now` as an argument. `actions` is the one layer that writes booking state; everything
else (views, webhook, commands, tasks) translates and calls it.
"""
