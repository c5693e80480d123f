#!/usr/bin/env python3
"""Talks to `./dmpo serve` the way openpi's client does, with openpi's own encoder (openpi_client.msgpack_numpy) and
the Python `websockets` package: metadata frame, requests, a refused request (text frame, then close code 1011).

    ./dmpo serve <hopper policy file> --port 8000 &
    PYTHONPATH=<openpi checkout>/packages/openpi-client/src python3 scripts/openpi-client-check.py ws://127.0.0.1:8000

Needs python3-msgpack, python3-numpy and python3-websockets (any version: it uses the asyncio client every version
has). The policy must take `observation/state` (a state policy); docs/serving.md shows a run.
"""
import asyncio
import sys
import time

import numpy as np
import websockets
from openpi_client import msgpack_numpy


async def main(uri):
    async with websockets.connect(uri, compression=None, max_size=None) as ws:
        metadata = msgpack_numpy.unpackb(await ws.recv())
        spec = metadata["observation"]["observation/state"]
        print("metadata:", {k: metadata[k] for k in ("server", "policy", "algorithm", "action_horizon", "action_steps")})
        print("observation/state:", spec)
        rng = np.random.default_rng(0)
        packer = msgpack_numpy.Packer()
        rtts = []
        for i in range(200):
            obs = {"observation/state": rng.standard_normal(tuple(spec["shape"])).astype(np.float32), "prompt": "hop"}
            t0 = time.perf_counter()
            await ws.send(packer.pack(obs))
            reply = msgpack_numpy.unpackb(await ws.recv())
            rtts.append(time.perf_counter() - t0)
        actions = reply["actions"]
        print("actions:", type(actions).__name__, actions.dtype, actions.shape, "finite:", bool(np.isfinite(actions).all()))
        print("server_timing:", reply["server_timing"])
        print("round trip over 200 requests: p50 %.3f ms, p99 %.3f ms" % (np.percentile(rtts, 50) * 1e3, np.percentile(rtts, 99) * 1e3))
    async with websockets.connect(uri, compression=None, max_size=None) as ws:
        await ws.recv()
        await ws.send(msgpack_numpy.packb({"observation/state": np.zeros(3, dtype=np.float64)}))
        error = await ws.recv()
        print("bad request ->", type(error).__name__, repr(error))
        try:
            await ws.recv()
        except websockets.ConnectionClosed as closed:
            print("then closed with code", closed.code)


asyncio.run(main(sys.argv[1] if len(sys.argv) > 1 else "ws://127.0.0.1:8000"))
