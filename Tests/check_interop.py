"""`make test`'s second direction of interop: Python reads what Transfuse wrote.

    python Tests/check_interop.py INTEROP_DIR

The Swift tests (SafeTensorsTests.WrittenForPythonTests, HDF5CheckpointTests.InteropWriteTests)
write files plus manifests into INTEROP_DIR; this runs each format's checker on them with the
`safetensors` and `h5py` packages and fails when any file is missing or differs.
"""
import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parent
CASES = [
    # (checker, file, manifest), paths relative to INTEROP_DIR
    ("SafeTensorsTests/Fixtures/check_written.py", "safetensors/written.safetensors", "safetensors/written.manifest.json"),
    ("SafeTensorsTests/Fixtures/check_written.py", "safetensors/written-sharded/model.safetensors.index.json",
     "safetensors/written-sharded.manifest.json"),
    ("HDF5CheckpointTests/Fixtures/check_written.py", "hdf5-written.h5", "hdf5-written.manifest.json"),
    ("HDF5CheckpointTests/Fixtures/check_written.py", "hdf5-written-gzip.h5", "hdf5-written.manifest.json"),
    ("HDF5CheckpointTests/Fixtures/check_written.py", "hdf5-written-memory.h5", "hdf5-written.manifest.json"),
]


def main():
    folder = pathlib.Path(sys.argv[1]).resolve()
    failures = 0
    for checker, file, manifest in CASES:
        script = ROOT / checker
        target, expected = folder / file, folder / manifest
        if not target.exists() or not expected.exists():
            print(f"FAIL {file}: not written by the Swift tests")
            failures += 1
            continue
        result = subprocess.run([sys.executable, script.name, str(target), str(expected)], cwd=script.parent)
        status = "ok  " if result.returncode == 0 else "FAIL"
        print(f"{status} {file} read by {checker.split('/')[0].removesuffix('Tests')} checker")
        failures += result.returncode != 0
    print(f"python interop checks: {len(CASES) - failures} of {len(CASES)} files read correctly")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
