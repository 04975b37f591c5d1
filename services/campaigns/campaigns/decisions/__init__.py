"""Weekly allocation proposals from analytics and the marketer's decision on them."""
