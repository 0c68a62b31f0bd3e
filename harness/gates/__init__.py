"""Quality gates: gate expressions evaluated on a run (and a baseline) into pass or fail."""
