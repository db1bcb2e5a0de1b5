"""FFT of signals stored in bit-reversed order (and the inverse)."""
