"""Extra module state as one uint8 tensor.

MMEngine broadcasts every ``state_dict`` entry from rank 0 after
``init_weights`` and accepts only tensors there; optimiser states, pools and
histories are nested Python containers. Packing them with ``torch.save``
into a byte tensor keeps them in checkpoints, broadcastable, and loadable
with ``weights_only=True`` (``unpack_state`` never unpickles anything else).
"""
import io
from typing import Any

import torch


def pack_state(obj: Any) -> torch.Tensor:
    buffer = io.BytesIO()
    torch.save(obj, buffer)
    return torch.frombuffer(bytearray(buffer.getvalue()), dtype=torch.uint8)


def unpack_state(packed: torch.Tensor) -> Any:
    data = packed.detach().cpu().numpy().tobytes()
    return torch.load(io.BytesIO(data), map_location='cpu', weights_only=True)
