"""A fake of the Google APIs Skylight and its customers call, on loopback over HTTPS.

`world` holds the state and does what Google checks (token exchange, impersonation, IAM, enabled
APIs), answering with Google's error bodies; `server` serves it by host; `transport` lets the real
google-auth and requests reach it while keeping Google's own URLs.
"""
