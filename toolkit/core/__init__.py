"""The shared core: the campaign model, loading the campaign's files and checking them, templates,
the text markup, CSV/YAML sources, the DOCX writer, file-system helpers and the errors."""
