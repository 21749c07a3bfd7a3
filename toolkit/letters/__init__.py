"""Letters: who gets which demands first, rendering, e-mails, the letters pack, supporters' letters
and the similarity check."""
