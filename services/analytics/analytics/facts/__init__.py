"""Weekly facts per creative: the consumer that counts candidate events and stores delivery,
the funnel read model with its data-health checks, and ``/v1`` funnel, facts and health."""
