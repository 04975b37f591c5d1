"""What every analytics router shares: the service-token guard, the engine dependency and
the problem-details documentation of errors."""
