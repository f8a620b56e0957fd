"""The operator's terminal UI (Textual): a thin layer over `appliance`, no business logic here."""
