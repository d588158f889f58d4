"""Small helpers shared by every app; nothing here knows about bookings."""
