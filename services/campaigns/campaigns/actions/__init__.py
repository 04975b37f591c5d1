"""Next best actions: what a campaign's stored facts say to do now, with the evidence."""
