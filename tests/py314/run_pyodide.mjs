// Run pytest on CPython 3.14 compiled to WebAssembly (Pyodide), under the project's Node.
//
// Usage: node tests/py314/run_pyodide.mjs PYODIDE_DIR SITE_DIR [pytest arguments...]
//   PYODIDE_DIR  the unpacked npm package `pyodide` (its 314.x releases are CPython 3.14)
//   SITE_DIR     pure-Python packages for the tests (pytest, hypothesis...), unpacked wheels
// The repository is mounted at /repo and the tests run from there; nothing is written into it
// (no bytecode, no pytest cache). `make test-py314` prepares both folders and runs this.
import path from "node:path";
import { pathToFileURL } from "node:url";

const [pyodideDir, siteDir, ...pytestArgs] = process.argv.slice(2);
if (!pyodideDir || !siteDir) {
  console.error("usage: node tests/py314/run_pyodide.mjs PYODIDE_DIR SITE_DIR [pytest arguments...]");
  process.exit(2);
}
const { loadPyodide } = await import(pathToFileURL(path.resolve(pyodideDir, "pyodide.mjs")).href);
const pyodide = await loadPyodide({ indexURL: path.resolve(pyodideDir) + "/" });
for (const [hostDir, mountPoint] of [[process.cwd(), "/repo"], [path.resolve(siteDir), "/site"]]) {
  pyodide.FS.mkdirTree(mountPoint);
  pyodide.FS.mount(pyodide.FS.filesystems.NODEFS, { root: hostDir }, mountPoint);
}
pyodide.globals.set("PYTEST_ARGS", pyodide.toPy(pytestArgs));
try {
  const code = pyodide.runPython(`
import os, sys
sys.dont_write_bytecode = True
sys.path.insert(0, "/site")
os.chdir("/repo")
import pytest
print("Python", sys.version.split()[0], "on", sys.platform, flush=True)
int(pytest.main(["-p", "no:cacheprovider", *PYTEST_ARGS]))
`);
  process.exitCode = Number(code);
} catch (error) {
  console.error(String((error && error.message) || error).slice(-4000));
  process.exitCode = 3;
}
