"""Employee-made content's media value: organic views recorded per creative and week,
valued at the employer's CPM beside the paid spend (dashboard, memo)."""
