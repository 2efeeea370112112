"""Pages for LMS administrators: the deployments and rejected launches of the platform they launched from."""
