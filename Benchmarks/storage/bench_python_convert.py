"""The Python reference for the storage benchmark: the same conversions with safetensors + h5py.

to-h5 IN.safetensors OUT.h5   : tensor by tensor (safe_open), one dataset per name, nested groups
to-st IN.h5 OUT.safetensors   : read every dataset, save_file (safetensors needs them all at once)
"""
import sys

import h5py
import numpy as np
from safetensors import safe_open
from safetensors.numpy import save_file


def to_h5(src, dst):
    with safe_open(src, framework="numpy") as f, h5py.File(dst, "w") as out:
        for name in f.keys():
            out.create_dataset(name.replace(".", "/"), data=f.get_tensor(name))


def to_st(src, dst):
    tensors = {}
    with h5py.File(src, "r") as f:
        def visit(name, obj):
            if isinstance(obj, h5py.Dataset):
                tensors[name.replace("/", ".")] = np.asarray(obj[()])
        f.visititems(visit)
    save_file(tensors, dst, metadata={"format": "pt"})


if __name__ == "__main__":
    {"to-h5": to_h5, "to-st": to_st}[sys.argv[1]](sys.argv[2], sys.argv[3])
