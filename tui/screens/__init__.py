"""One screen per stage; each calls the same `appliance` entry points as the CLI."""
