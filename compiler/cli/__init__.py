"""The command line: parse options, call the core, report, map results to exit codes."""
