"""The weekly proposal: from stored facts to the engine's request, the proposal stored and
published, the marketer's decision, and the allocation contract over HTTP."""
