"""FedGen on Flower: a strategy that carries the generator and the label
counts, a ServerApp and a ClientApp (``flwr run mmdfkd/federated/flower``).

Flower is an optional extra: ``pip install -e ".[fed]"``.
"""


def require_flwr():
    """Import flwr, or say how to install it."""
    try:
        import flwr
    except ImportError as exc:
        raise ImportError(
            'mmdfkd.federated.flower needs Flower (flwr), an optional '
            'extra: pip install -e ".[fed]" (flwr==1.41.0, pinned in '
            'requirements/constraints.txt)') from exc
    return flwr


require_flwr()
