"""Recipients: the Storting's open data and merging it into recipients.csv."""
