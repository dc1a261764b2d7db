"""Hardware: the accelerator record, iso-area design points and their silicon area inputs.

Imports only `accelsim.errors`, `accelsim.ir` and `tech`."""

#: The vocabulary of the hardware's enumerated keys, here so that argument parsing can name the
#: choices without loading the accelerator model.
DATAFLOWS = ("os", "ws", "is")
MAC_MODES = ("configurable", "dedicated")
SCALES = ("array", "cores", "lanes")

__all__ = ["DATAFLOWS", "MAC_MODES", "SCALES"]
