"""Independent implementations the tests compare the library with."""
