"""Template tags of the certificates app."""
