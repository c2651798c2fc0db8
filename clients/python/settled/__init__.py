"""Python client for settled, the settlement-aware trade execution service.

- :class:`settled.Client` -- blocking client (``settled.aio.AsyncClient`` for asyncio)
- :func:`settled.load_plan` / :func:`settled.load_request` -- plan files
- ``settled.v1`` -- the generated protobuf/gRPC modules of the contract
- ``settled`` on the command line -- :mod:`settled.cli`
"""

from settled.client import Client
from settled.plans import PlanError, load_plan, load_request
from settled.resume import RetryPolicy

__all__ = ["Client", "PlanError", "RetryPolicy", "__version__", "load_plan", "load_request"]

__version__ = "0.1.0"
