"""The weekly memo per employer: what moved, why, what it should bring, what needs a
decision; as a console page, as e-mail-ready HTML, and sent over SMTP when configured."""
