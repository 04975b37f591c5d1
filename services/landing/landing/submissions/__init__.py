"""What candidates send: visits, lead and application forms, quiz results, CVs and the
signed tokens that carry a journey; the internal leads API."""
