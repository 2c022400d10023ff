"""Programme changes and releases: the change records, releases, the changelog and the e-mails."""
