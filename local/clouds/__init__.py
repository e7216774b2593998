"""Fakes of the clouds Skylight reaches beyond AWS, served on loopback over HTTPS (see `https`)."""
