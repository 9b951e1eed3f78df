"""Reference roundings for Transfuse's half-precision conversions.

Writes half_precision.json: float32 bit patterns of tricky values and what numpy (float16)
and ml_dtypes (bfloat16, the type JAX and PyTorch share) round them to. Run by `make fixtures`.
"""
import hashlib
import json
import pathlib

import ml_dtypes
import numpy as np

rng = np.random.default_rng(20261129)
special = np.array([0.0, -0.0, 1.0, -1.0, 65504.0, 65520.0, 1e10, -1e10, 6.1e-5, 5.96e-8, 2.98e-8,
                    3e-8, 1e-40, np.inf, -np.inf, 1.0009765625, 1.00048828125, 1.00146484375,
                    3.3895314e38, 1.0 + 2**-8, 1.0 + 2**-9, 1.0 + 3 * 2**-9, 255.5, 256.5],
                   dtype=np.float32)
# Values exactly halfway between two bfloat16 / float16 neighbours exercise ties-to-even.
ties_bf16 = (rng.integers(0, 2**31, 200, dtype=np.uint32) & 0xFFFF0000 | 0x8000).view(np.float32)
ties_f16 = (rng.integers(0, 2**31, 200, dtype=np.uint32) & 0xFFFFE000 | 0x1000).view(np.float32)
randoms = rng.standard_normal(400).astype(np.float32) * np.float32(10.0) ** rng.integers(-8, 8, 400)
values = np.concatenate([special, ties_bf16, ties_f16, randoms.astype(np.float32)])
values = values[np.isfinite(values) | np.isinf(values)]

with np.errstate(over="ignore"):
    f16 = values.astype(np.float16).view(np.uint16)
bf16 = values.astype(ml_dtypes.bfloat16).view(np.uint16)

out = {
    "float32_bits": [int(v) for v in values.view(np.uint32)],
    "float16_bits": [int(v) for v in f16],
    "bfloat16_bits": [int(v) for v in bf16],
    "generator": f"numpy {np.__version__}, ml_dtypes {ml_dtypes.__version__}",
}
path = pathlib.Path(__file__).parent / "half_precision.json"
path.write_text(json.dumps(out) + "\n")
digest = hashlib.sha256(path.read_bytes()).hexdigest()
(path.parent / "SHA256SUMS").write_text(f"{digest}  {path.name}\n")
print(f"wrote {path} ({len(values)} values)")
