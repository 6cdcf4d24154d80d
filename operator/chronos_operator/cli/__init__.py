"""``kubectl-chronos``: the command-line companion of chronos-operator."""
