"""Sending: the outbox of rendered e-mails, the send journal and the SMTP mailer."""
