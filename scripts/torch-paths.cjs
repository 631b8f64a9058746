// Prints include dirs, libraries or link flags for node-gyp. LIBTORCH=/path selects another
// libtorch (a CUDA build, say), as tch-rs does; otherwise Debian's libtorch-dev is used.
const fs = require("node:fs");
const path = require("node:path");
const root = process.env.LIBTORCH;
const what = process.argv[2];
// a CUDA build registers its device only when libtorch_cuda is loaded: link it even unreferenced
const cuda = root && fs.existsSync(path.join(root, "lib", "libtorch_cuda.so")) ? ["-Wl,--no-as-needed", "-ltorch_cuda", "-Wl,--as-needed"] : [];
const out = {
  include: root
    ? [path.join(root, "include"), path.join(root, "include/torch/csrc/api/include")]
    : ["/usr/include/torch/csrc/api/include"],
  libs: root
    ? [`-L${path.join(root, "lib")}`, `-Wl,-rpath,${path.join(root, "lib")}`, "-ltorch", "-ltorch_cpu", "-lc10", ...cuda]
    : ["-ltorch", "-ltorch_cpu", "-lc10"],
};
if (!(what in out)) throw new Error(`torch-paths: expected include|libs, got ${what}`);
console.log(out[what].join(" "));
