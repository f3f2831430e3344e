"""The `docmatix` command line: run, inspect, publish, mix and check Docmatix-style datasets."""
