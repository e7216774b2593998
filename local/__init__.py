"""Local development support for Skylight: an offline AWS emulator built on moto."""
