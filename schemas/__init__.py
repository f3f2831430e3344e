"""The one definition of every record passed between stages and of every file the pipeline writes."""
