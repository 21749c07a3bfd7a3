"""Campaign toolkit: a campaign folder in, letters, e-mails, op-eds and a post calendar out."""

__version__ = "0.1.0"
