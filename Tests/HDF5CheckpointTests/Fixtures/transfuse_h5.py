"""Transfuse's canonical HDF5 layout with plain h5py + numpy (Schemas/HDF5-LAYOUT.md).

Shared by make_fixtures.py (writing) and check_written.py (reading). Deliberately written
from the layout document, not from the Swift code.
"""
import json
from urllib.parse import quote

import h5py
import numpy as np

ESCAPED = "__escaped__"


def escaped_link(name):
    return quote(name, safe="").replace(".", "%2E") or "%"


def plain_parts(name):
    parts = name.split(".")
    if name == "" or parts[0] == ESCAPED:
        return None
    if any(p == "" or "/" in p or "\0" in p for p in parts):
        return None
    return parts


def assign_paths(names):
    """Path of each name, in order: nested when possible, else /__escaped__/<link>."""
    datasets, groups, out = set(), set(), []
    for name in names:
        parts = plain_parts(name)
        if parts is not None:
            path = "/".join(parts)
            prefixes = ["/".join(parts[:i]) for i in range(1, len(parts))]
            if path not in groups and path not in datasets and not any(p in datasets for p in prefixes):
                datasets.add(path)
                groups.update(prefixes)
                out.append("/" + path)
                continue
        out.append("/" + ESCAPED + "/" + escaped_link(name))
    return out


TRACKED = h5py.h5p.CRT_ORDER_TRACKED | h5py.h5p.CRT_ORDER_INDEXED


def create_tracked_file(path):
    """h5py.File(path, "w", track_order=True) without object time stamps (reproducible)."""
    fcpl = h5py.h5p.create(h5py.h5p.FILE_CREATE)
    fcpl.set_link_creation_order(TRACKED)
    fcpl.set_obj_track_times(False)
    return h5py.File(h5py.h5f.create(path.encode(), h5py.h5f.ACC_TRUNC, fcpl=fcpl))


def require_tracked_group(f, path):
    """The group at path, creating missing groups with tracked creation order, no time stamps."""
    group = f["/"]
    for part in [p for p in path.split("/") if p]:
        if part not in group:
            gcpl = h5py.h5p.create(h5py.h5p.GROUP_CREATE)
            gcpl.set_link_creation_order(TRACKED)
            gcpl.set_obj_track_times(False)
            h5py.h5g.create(group.id, part.encode(), gcpl=gcpl)
        group = group[part]
    return group


def float_type(fields, ebias):
    t = h5py.h5t.IEEE_F32LE.copy()
    t.set_fields(*fields)
    t.set_size(2)
    t.set_ebias(ebias)
    return t


BF16 = float_type((15, 7, 8, 0, 7), 127)

# dtype tag -> numpy dtype of the little-endian bytes
NUMPY = {"F64": "<f8", "F32": "<f4", "F16": "<f2", "I64": "<i8", "I32": "<i4", "I16": "<i2", "I8": "i1",
         "U64": "<u8", "U32": "<u4", "U16": "<u2", "U8": "u1", "BOOL": "?", "C64": "<c8"}


def write_tensor(f, path, tag, array):
    """array: numpy array of NUMPY[tag], or for BF16 the raw uint16 bits."""
    group_path, _, link = path.rpartition("/")
    group = require_tracked_group(f, group_path)
    if tag == "BF16":
        space = h5py.h5s.create_simple(array.shape) if array.ndim else h5py.h5s.create(h5py.h5s.SCALAR)
        dcpl = h5py.h5p.create(h5py.h5p.DATASET_CREATE)
        dcpl.set_obj_track_times(False)  # as h5py's high-level API does
        dsid = h5py.h5d.create(group.id, link.encode(), BF16, space, dcpl=dcpl)
        if array.size:
            dsid.write(h5py.h5s.ALL, h5py.h5s.ALL, np.ascontiguousarray(array, dtype="<u2"), mtype=BF16)
        ds = group[link]
    else:
        ds = group.create_dataset(link, data=array)
    ds.attrs["dtype"] = tag


def tensor_bytes(tag, value):
    """The little-endian bytes of a dataset value h5py returned."""
    if tag == "BF16":
        bits = np.asarray(value, dtype="<f4").view("<u4") >> 16
        return bits.astype("<u2").tobytes()
    if tag == "BOOL":
        return np.asarray(value, dtype="?").astype("u1").tobytes()
    if tag in NUMPY:
        return np.asarray(value).astype(NUMPY[tag]).tobytes()
    return np.asarray(value).tobytes()  # opaque F8 types: bytes as stored


def dataset_paths(f):
    found = []
    f.visititems(lambda name, obj: found.append("/" + name) if isinstance(obj, h5py.Dataset) else None)
    return found
