"""The parents and grandparents sponsorship lottery: intakes, interest-to-sponsor forms,
a draw anyone can verify, invitations."""
