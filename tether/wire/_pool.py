"""tether's own protobuf descriptor pool, so viam-sdk's identical messages never clash with ours."""

from google.protobuf import descriptor_pool, duration_pb2, struct_pb2

POOL = descriptor_pool.DescriptorPool()
for _well_known in (duration_pb2, struct_pb2):
    POOL.AddSerializedFile(_well_known.DESCRIPTOR.serialized_pb)
