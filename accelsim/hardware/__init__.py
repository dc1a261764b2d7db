"""Hardware: the accelerator record, iso-area design points and their silicon area inputs.

Imports only `accelsim.errors`, `accelsim.ir` and `tech`."""
