"""What every console page and API route shares: rendering, flash messages, the pager,
CSRF protection, form helpers and the app-state dependencies."""
