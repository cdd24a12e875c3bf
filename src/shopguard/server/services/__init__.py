"""What routes and the CLI call: each function is one unit of work over a Session."""
