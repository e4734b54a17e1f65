"""Regenerate tether/wire/ from protos/ (run after editing a .proto; the output is committed).

    pip install -e '.[dev]' && python scripts/generate_protos.py

The generated modules register their descriptors in tether's own descriptor pool
(tether/wire/_pool.py) rather than protobuf's default one, so tether's Viam-compatible messages
and viam-sdk's identical ones can be imported into the same process without a symbol clash.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PROTOS = ROOT / "protos"
DEFAULT_POOL = "_descriptor_pool.Default().AddSerializedFile"
OWN_POOL = "_own_pool.POOL.AddSerializedFile"


def main() -> int:
    sources = sorted(str(p.relative_to(PROTOS)) for p in PROTOS.rglob("*.proto"))
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    subprocess.run(
        [sys.executable, "-m", "grpc_tools.protoc", f"-I{PROTOS}", f"--python_out={ROOT}",
         f"--pyi_out={ROOT}", f"--grpclib_python_out={ROOT}", *sources],
        check=True, env=env,
    )
    wire = ROOT / "tether" / "wire"
    for module in wire.rglob("*_pb2.py"):
        text = module.read_text()
        if DEFAULT_POOL not in text:
            raise SystemExit(f"{module}: protoc output changed; {DEFAULT_POOL!r} not found")
        text = text.replace(DEFAULT_POOL, OWN_POOL).replace(
            "# @@protoc_insertion_point(imports)",
            "# @@protoc_insertion_point(imports)\nfrom tether.wire import _pool as _own_pool",
        )
        module.write_text(text)
    for folder in [wire, *[p for p in wire.rglob("*") if p.is_dir()]]:
        if folder.name != "__pycache__":
            (folder / "__init__.py").touch()
    print(f"generated {len(sources)} protos into {wire.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
