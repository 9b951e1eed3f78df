"""Writes SHA256SUMS (sha256sum format, paths relative to this folder) for every fixture."""
import hashlib
import os

HERE = os.path.dirname(os.path.abspath(__file__))


def write_checksums():
    lines = []
    for root, dirs, files in os.walk(HERE):
        dirs[:] = [d for d in dirs if d != "__pycache__"]
        for name in files:
            if name == "SHA256SUMS" or name.endswith(".py") or name == "README.md":
                continue
            path = os.path.join(root, name)
            with open(path, "rb") as f:
                lines.append(f"{hashlib.sha256(f.read()).hexdigest()}  {os.path.relpath(path, HERE)}")
    with open(os.path.join(HERE, "SHA256SUMS"), "w") as f:
        f.write("\n".join(sorted(lines, key=lambda line: line.split("  ")[1])) + "\n")


if __name__ == "__main__":
    write_checksums()
