"""Repository functions: they take a Session, never commit, never open sessions."""
