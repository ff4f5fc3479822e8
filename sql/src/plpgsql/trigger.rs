//! Trigger functions: placeholder.
