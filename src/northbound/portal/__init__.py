"""What people come for: content pages, eligibility rules, accounts, applications."""
