"""Request and response models, separate from the core's domain types."""
