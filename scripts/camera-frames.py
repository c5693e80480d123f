#!/usr/bin/env python3
"""What the policy's cameras show at the start of a demonstration and at the grasp (docs/manipulation.md,
"What the cameras see"): one PNG per task with the wrist camera (robomimic's robot0_eye_in_hand) and agentview, at
step 0 and a few steps after the demonstrator closes the gripper, each 96x96 frame scaled 3x (nearest).

  ./dmpo demos --task lift --demos 1 --image 96x96 --out /tmp/lift-1.h5
  /usr/bin/python3 scripts/camera-frames.py /tmp/lift-1.h5 docs/images/cameras-lift.png

Needs h5py and numpy (Debian: python3-h5py); the PNG is written with zlib, no imaging library.
"""
import struct
import sys
import zlib

import h5py
import numpy as np

SCALE, AFTER_CLOSE = 3, 4


def png(path, rgb):
    h, w, _ = rgb.shape
    raw = b"".join(b"\x00" + rgb[y].tobytes() for y in range(h))

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
                + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))


def main(h5, out):
    with h5py.File(h5, "r") as f:
        demo = f["data/demo_0"]
        gripper = demo["actions"][:, -1]
        closing = np.flatnonzero(gripper > 0)
        if closing.size == 0:
            sys.exit(f"{h5}: the demonstration never closes the gripper")
        grasp = min(int(closing[0]) + AFTER_CLOSE, len(gripper) - 1)
        frames = [demo["obs/robot0_eye_in_hand_image"][0], demo["obs/robot0_eye_in_hand_image"][grasp],
                  demo["obs/agentview_image"][0], demo["obs/agentview_image"][grasp]]
    gap = np.full((frames[0].shape[0], 2, 3), 255, np.uint8)
    strip = np.concatenate(sum(([fr, gap] for fr in frames), [])[:-1], axis=1)
    strip = strip.repeat(SCALE, axis=0).repeat(SCALE, axis=1)
    png(out, np.ascontiguousarray(strip, dtype=np.uint8))
    print(f"{out}: wrist at step 0 and {grasp} (gripper closing from step {int(closing[0])}), agentview at the same steps")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2])
