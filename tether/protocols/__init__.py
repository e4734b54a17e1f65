"""Pure byte-level codecs for motor controllers, shared by the drivers and their fakes."""
