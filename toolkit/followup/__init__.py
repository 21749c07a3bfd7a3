"""After the letters go out: replies read over IMAP, reminders, the campaign's status and deleting
personal data."""
