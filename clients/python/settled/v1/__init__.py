"""Generated protobuf and gRPC modules of the ``settled.v1`` contract.

Everything in this package except this file is generated from
``proto/settled/v1/*.proto`` by ``scripts/gen_stubs.sh``; do not edit it by
hand. Import the modules directly, e.g. ``from settled.v1 import plan_pb2``.
"""
