"""kopf registrations: thin shims that feed watch events into the view. Nothing here decides."""
