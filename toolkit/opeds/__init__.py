"""Op-eds: the pieces, outlets and signatories, the plan, the status file and the documents."""
