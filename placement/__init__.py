"""placement: affinity analysis and encoding placement for multi-device IREE programs."""

__version__ = "0.1.0"
