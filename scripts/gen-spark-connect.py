"""Write the Spark Connect protocol descriptors shipped by the pinned PyPI `pyspark` wheel.

The wheel ships the compiled modules (`pyspark/sql/connect/proto/*_pb2.py`), each embedding its
serialized FileDescriptorProto. This script imports them and writes a FileDescriptorSet (the
Spark Connect files plus their google/protobuf dependencies) that @grpc/proto-loader reads.
"""

import importlib
import pkgutil
import sys

import pyspark
import pyspark.sql.connect.proto as proto_pkg
from google.protobuf import descriptor_pb2

out = sys.argv[1]
files = {}


def add(fd):
    if fd.name in files:
        return
    for dep in fd.dependencies:
        add(dep)
    p = descriptor_pb2.FileDescriptorProto()
    fd.CopyToProto(p)
    files[fd.name] = p


for m in sorted(pkgutil.iter_modules(proto_pkg.__path__), key=lambda m: m.name):
    if m.name.endswith("_pb2"):
        add(importlib.import_module(f"pyspark.sql.connect.proto.{m.name}").DESCRIPTOR)

# google.rpc.Status / ErrorInfo (googleapis-common-protos): the error details PySpark reads.
from google.rpc import error_details_pb2, status_pb2

add(status_pb2.DESCRIPTOR)
add(error_details_pb2.DESCRIPTOR)

fds = descriptor_pb2.FileDescriptorSet(file=list(files.values()))
with open(out, "wb") as f:
    f.write(fds.SerializeToString(deterministic=True))
print(f"pyspark {pyspark.__version__}: {len(files)} files -> {out}", file=sys.stderr)
