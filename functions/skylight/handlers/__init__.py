"""The functions' entry points. Every handler module is imported through this package, so what is set
here is in place before a handler's first line runs and before any SDK client exists."""

from skylight.handlers.logs import keep_wire_data_out_of_logs

keep_wire_data_out_of_logs()
