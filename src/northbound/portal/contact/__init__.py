"""Help without an account: a contact form for people who cannot sign in (or have no account).

What it guarantees is what the portal's other forms guarantee: a reference number is shown only
after the message is stored, a retry or double-click gives the same reference, and the person
gets the reference by email too. Staff read and answer these messages by email.
"""
