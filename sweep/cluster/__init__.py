"""Ray plumbing: the embedded or warm local Ray, a cluster's address, worker set-up."""
