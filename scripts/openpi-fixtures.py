#!/usr/bin/env python3
"""Writes the serving-protocol test fixtures (dmpo-client/src/test/resources/openpi-frames/*.hex): messages packed by
the reference encoder itself, openpi's openpi_client.msgpack_numpy, on top of the msgpack and numpy packages.

    PYTHONPATH=<openpi checkout>/packages/openpi-client/src python3 scripts/openpi-fixtures.py <out dir>

(needs python3-msgpack and python3-numpy; the fixtures in the repository were written with msgpack 1.0.3, numpy 1.24.2
and openpi commit 15a9616a00943ada6c20a0f158e3adb39df2ccac). Each file is one message as hex, 64 bytes per line.
"""
import sys

import msgpack
import numpy as np
from openpi_client import msgpack_numpy

out = sys.argv[1]


def write(name, message):
    data = msgpack_numpy.packb(message)
    with open(f"{out}/{name}.hex", "w") as f:
        for i in range(0, len(data), 64):
            f.write(data[i:i + 64].hex() + "\n")


state = (np.arange(11, dtype=np.float32) * 0.1 - 0.5).astype(np.float32)
# what openpi's client sends for a Hopper-sized state policy (an extra "prompt" key, as its examples send)
write("state-observation", {"observation/state": state, "prompt": "hop forward"})
# an image + proprioception observation (wrist camera, 32 x 32 so the fixture stays small)
image = (np.arange(32 * 32 * 3) % 256).astype(np.uint8).reshape(32, 32, 3)
write("wrist-observation", {"observation/wrist_image": image, "observation/state": np.linspace(-1, 1, 9, dtype=np.float32)})
# a reply as openpi's server packs it (the encoder must write exactly these bytes for the same values)
actions = (np.arange(12, dtype=np.float32).reshape(4, 3) / 8 - 0.5).astype(np.float32)
write("reply", {"actions": actions, "server_timing": {"infer_ms": 0.125, "prev_total_ms": 1.5}})
# numpy scalars, nested containers, every msgpack kind the protocol uses
write("values", {
    "f32": np.float32(0.5), "i64": np.int64(-3), "flag": np.bool_(True),
    "list": [1, 2.5, "s", b"raw", None, True, 300, -40000, 2 ** 40],
    "nested": {"k": -1, "empty": {}, "f8": np.array([1.0, -2.0])},
})
print("msgpack", msgpack.version, "numpy", np.__version__)
